import { invalidGrant, invalidRequest, invalidScope, invalidTarget, isUserGrant } from "@op/core";
import { narrowResources, refreshTokenJkt } from "@op/rules";
import { grantObject, parseRefreshToken } from "@op/storage";
import type { GrantContext, TokenResponse } from "./context";
import { accessAndIdToken } from "./issue-tokens";

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2); scope narrowing and the DPoP binding of a public
 * client's family (RFC 9449 §5) are checked inside the grant's step.
 */
export async function refreshTokenGrant({ env, client, params, resources, registry, boundThumbprint, dpopJkt }: GrantContext): Promise<TokenResponse> {
  if (!params.refresh_token) throw invalidRequest("refresh_token is required");
  const parsed = parseRefreshToken(params.refresh_token);
  if (!parsed) throw invalidGrant("refresh token is invalid");
  const result = await grantObject(env, parsed.grantId).rotate(parsed.secret, client.client_id, {
    scope: params.scope,
    resources,
    dpopJkt,
    bindTo: refreshTokenJkt(client, dpopJkt),
  });
  if (result.status === "dpop_refused") throw invalidGrant(result.description);
  if (result.status === "invalid_scope") throw invalidScope("requested scope exceeds the original grant");
  if (result.status === "invalid_target") throw invalidTarget("requested resource was not granted");
  if (result.status === "reused") throw invalidGrant("refresh token was already used; the grant has been revoked");
  if (result.status !== "ok" || !isUserGrant(result.grant)) throw invalidGrant("refresh token is invalid, expired or revoked");
  const tokens = await accessAndIdToken(
    env,
    client,
    { ...result.grant, certificateThumbprint: boundThumbprint, dpopJkt },
    { registry, omitNonce: true, resources: narrowResources(result.grant.resources, resources) },
  );
  return { ...tokens, refresh_token: result.refreshToken };
}
