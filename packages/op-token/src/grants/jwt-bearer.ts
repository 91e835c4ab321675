import { type AuthenticatedClient, type ClientGrants, getConfig, invalidGrant, invalidRequest, PATHS, randomToken } from "@op/core";
import { verifyClientSignedJwt } from "@op/http";
import { accessTokenLifetime, clientTokenScope, dpopTokenType, effectiveGrants } from "@op/rules";
import { clientObject, type Env, grantObject, userBySub } from "@op/storage";
import { issueAccessToken } from "@op/tokens";
import type { GrantContext, TokenResponse } from "./context";

/**
 * RFC 7523 §2.1: a JWT the client signed with its registered keys, exchanged for an access
 * token. `sub` is the client itself, or, where the operator's grants say `jwt_bearer: any_user`
 * (or JWT_BEARER_TRUSTED_CLIENTS lists the client), one of this OP's users. The resources and
 * their scopes are bounded by the client's `client_credentials` grants either way; a user's
 * token may also carry the OP's scopes (docs/resources.md). No refresh token: the client can
 * sign a new assertion (§2.1 leaves it to the server; a replayable family adds nothing here).
 */
export async function jwtBearerGrant({ env, client, params, targets, userinfo, registry, boundThumbprint, dpopJkt }: GrantContext): Promise<TokenResponse> {
  if (!params.assertion) throw invalidRequest("assertion is required");
  const config = getConfig(env);
  const { grants } = effectiveGrants(client, client.operatorGrants, config, registry);
  const sub = await verifiedSubject(env, client, grants, params.assertion);
  const forUser = sub !== client.client_id;
  const { resources, scope } = clientTokenScope(registry, grants, { targets, userinfo, scope: params.scope }, { forUser });
  const grantId = randomToken(16);
  const now = Date.now();
  await grantObject(env, grantId).activate({
    grantId,
    clientId: client.client_id,
    sub,
    scope,
    resources,
    authTimeRequired: false,
    createdAt: now,
    expiresAt: now + config.ttl.accessToken * 1000,
    offline: false,
  });
  const lifetime = accessTokenLifetime(registry, resources, config.ttl.accessToken);
  const at = await issueAccessToken(env, { grantId, client, sub, scope, resources, lifetime, certificateThumbprint: boundThumbprint, dpopJkt });
  return { access_token: at.token, token_type: dpopTokenType(dpopJkt), expires_in: at.expiresIn, scope };
}

async function verifiedSubject(env: Env, client: AuthenticatedClient, grants: ClientGrants, assertion: string): Promise<string> {
  const config = getConfig(env);
  const keyMaterial = await clientObject(env, client.client_id).sealedSecrets();
  const result = await verifyClientSignedJwt(env, client, assertion, {
    audience: [config.issuer, `${config.issuer}${PATHS.token}`],
    purpose: "jwt-bearer",
    sealedSecrets: keyMaterial?.sealedSecrets,
  });
  if ("failure" in result) throw invalidGrant(`assertion: ${result.description}`); // §3.1
  const sub = result.payload.sub;
  if (typeof sub !== "string" || !sub) throw invalidGrant("assertion has no sub");
  if (sub === client.client_id) return sub;
  if (grants.jwt_bearer !== "any_user") throw invalidGrant("this client may only assert itself");
  if (!(await userBySub(env, sub)?.profile())) throw invalidGrant("assertion sub is not a known user");
  return sub;
}
