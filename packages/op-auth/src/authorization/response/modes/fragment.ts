import { redirect } from "./query";

/** OAuth 2.0 Multiple Response Types §2.1: parameters in the fragment, which browsers never send to servers. */
export function fragmentResponse(redirectUri: string, params: Record<string, string>): Response {
  const url = new URL(redirectUri);
  url.hash = new URLSearchParams(params).toString();
  return redirect(url.toString());
}
