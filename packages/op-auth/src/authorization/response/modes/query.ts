import { NO_STORE } from "@op/http";

/** RFC 6749 §4.1.2: parameters added to the redirect URI's query, keeping its own (§3.1.2). */
export function queryResponse(redirectUri: string, params: Record<string, string>): Response {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return redirect(url.toString());
}

/** 303 so a form post is never replayed to the client (RFC 9700 §4.12); no caching, no Referer. */
export const redirect = (location: string) =>
  new Response(null, { status: 303, headers: { Location: location, ...NO_STORE, "Referrer-Policy": "no-referrer" } });
