import { grantObject, invalidGrant, invalidScope, OAuthError, parseRefreshToken } from "@op/common";
import type { GrantContext, TokenResponse } from "./context";
import { accessAndIdToken, scopesOf } from "./issue-tokens";

/** RFC 6749 §6 with rotation (RFC 9700 §4.14.2). */
export async function refreshTokenGrant({ env, client, params }: GrantContext): Promise<TokenResponse> {
  if (!params.refresh_token) throw new OAuthError("invalid_request", "refresh_token is required");
  const parsed = parseRefreshToken(params.refresh_token);
  if (!parsed) throw invalidGrant("refresh token is invalid");
  const result = await grantObject(env, parsed.grantId).rotate(parsed.secret, client.client_id);
  if (result.status === "reused") throw invalidGrant("refresh token was already used; the grant has been revoked");
  if (result.status !== "ok") throw invalidGrant("refresh token is invalid, expired or revoked");
  const scope = narrowedScope(result.grant.scope, params.scope);
  const tokens = await accessAndIdToken(env, client, { ...result.grant, scope }, { omitNonce: true });
  return { ...tokens, refresh_token: result.refreshToken };
}

/** RFC 6749 §6: a requested scope must not exceed the original grant. */
function narrowedScope(granted: string, requested: string | undefined): string {
  if (requested === undefined) return granted;
  const allowed = new Set(scopesOf(granted));
  const wanted = scopesOf(requested);
  if (!wanted.length || wanted.some((s) => !allowed.has(s))) throw invalidScope("requested scope exceeds the original grant");
  return wanted.join(" ");
}
