import type { PresentedCredentials } from "./credentials";

/** RFC 6749 §2.1 public clients: client_id alone (OIDC Core §9 "none"); PKCE protects the code. */
export function presentedNone(params: Record<string, string>): PresentedCredentials | undefined {
  if (params.client_id === undefined) return undefined;
  return { method: "none", clientId: params.client_id };
}
