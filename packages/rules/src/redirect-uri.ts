import { type AuthorizationCodeRecord, type Client, invalidRequest } from "@op/core";

/** RFC 8252 §7.3: the loopback IP literals a native app listens on; `localhost` is not one (§8.3). */
const LOOPBACK_REDIRECT = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;

/**
 * RFC 8252 §7.3 with RFC 9700 §2.1: a native client's loopback redirect URI matches on any port,
 * since the app picks a free one when it starts; scheme, host, path and query must still be
 * exactly the registered ones. Nothing else is relaxed.
 */
export function loopbackMatches(registered: string, requested: string): boolean {
  const r = LOOPBACK_REDIRECT.exec(registered);
  const q = LOOPBACK_REDIRECT.exec(requested);
  return !!r && !!q && r[1] === q[1] && (r[3] ?? "") === (q[3] ?? "") && (q[2] === undefined || Number(q[2]) <= 65535);
}

/** RFC 9700 §2.1 / OIDC Core §3.1.2.1: exact string comparison with a registered redirect URI (loopback ports aside, above). */
export function isRegisteredRedirectUri(client: Pick<Client, "redirect_uris" | "application_type">, requested: string): boolean {
  if (client.redirect_uris.includes(requested)) return true;
  return client.application_type === "native" && client.redirect_uris.some((registered) => loopbackMatches(registered, requested));
}

/**
 * RFC 6749 §3.1.2.3: the redirect URI of an authorization request; it may be omitted only when
 * exactly one is registered. A mismatch is never redirected (RFC 6749 §4.1.2.1), so the caller
 * shows it as a page.
 */
export function resolveRedirectUri(client: Pick<Client, "redirect_uris" | "application_type">, requested: string | undefined): string {
  if (requested === undefined) {
    if (client.redirect_uris.length === 1) return client.redirect_uris[0]!;
    throw invalidRequest("redirect_uri is required when the client has several", { redirectable: false });
  }
  if (!isRegisteredRedirectUri(client, requested)) throw invalidRequest("redirect_uri is not registered for this client", { redirectable: false });
  return requested;
}

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
