import type { Client } from "@op/core";
import { SUPPORTED_SCOPES } from "./claims";

/** RFC 6749 §3.3: a scope is a space-separated set; empty strings are not scopes. */
export const scopesOf = (scope: string | undefined): string[] => [...new Set((scope ?? "").split(" ").filter(Boolean))];

/**
 * The scopes a user may grant `client` out of a request's `scope` (authorization and device
 * authorization requests): unknown values are ignored (OIDC Core §3.1.2.1, RFC 6749 §3.3), the
 * client's registered `scope` restricts the rest, and offline_access needs a client allowed to
 * refresh and a request where it may be granted (OIDC Core §11, `offlineAccessAllowed`).
 */
export function grantableScopes(client: Pick<Client, "scope" | "grant_types">, scope: string | undefined, opts: { offlineAccess: boolean }): string[] {
  const allowedByClient = client.scope ? new Set(client.scope.split(" ")) : undefined;
  const scopes = scopesOf(scope).filter((s) => SUPPORTED_SCOPES.includes(s) && (!allowedByClient || allowedByClient.has(s) || s === "openid"));
  const offline = opts.offlineAccess && (client.grant_types as string[]).includes("refresh_token");
  return scopes.filter((s) => s !== "offline_access" || offline);
}

/**
 * OIDC Core §11: offline_access is ignored unless the response type returns an authorization code,
 * and it needs prompt=consent, so that it is always granted on the consent page, never by a
 * consent remembered from earlier (as oidc-provider does).
 */
export function offlineAccessAllowed(responseType: string, prompt: readonly string[]): boolean {
  return responseType.split(" ").includes("code") && prompt.includes("consent");
}

/**
 * RFC 6749 §6 (refresh) and RFC 8693 §2.1 (exchange): a request may narrow the granted scope but
 * never widen it; the granted scope when none is requested, null when the request would widen it.
 */
export function narrowScope(granted: string, requested: string | undefined): string | null {
  if (requested === undefined) return granted;
  const allowed = new Set(granted.split(" "));
  const wanted = scopesOf(requested);
  return wanted.length && wanted.every((s) => allowed.has(s)) ? wanted.join(" ") : null;
}
