import type { AuthorizationCodeRecord } from "@op/core";

/**
 * RFC 6749 §4.1.3: the token request's redirect_uri is required if the authorization request
 * included one, and must then be identical. Why the presented value is refused, or null.
 * When the authorization request omitted it (the single registered URI was used), a presented
 * one must still be the URI the code went to: §4.1.3 asks nothing there, and any other value
 * would redeem a code delivered elsewhere.
 */
export function redirectUriRefusal(code: Pick<AuthorizationCodeRecord, "redirectUri" | "redirectUriSent">, presented: string | undefined): string | null {
  if (presented === undefined) return code.redirectUriSent ? "redirect_uri is required: the authorization request included it" : null;
  return presented === code.redirectUri ? null : "redirect_uri does not match the authorization request";
}
