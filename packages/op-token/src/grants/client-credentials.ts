import { getConfig, isolateCache } from "@op/core";
import { accessTokenLifetime, clientTokenScope, dpopTokenType, effectiveGrants } from "@op/rules";
import { clientCredentialsGrantId, type Env, grantObject } from "@op/storage";
import { issueAccessToken } from "@op/tokens";
import type { GrantContext, TokenResponse } from "./context";

/**
 * RFC 6749 §4.4: the client acts for itself; no refresh token (§4.4.3). What it may obtain is
 * the operator's to say (its grants, docs/resources.md): which registered resources and which of
 * their scopes; the client's own `scope` metadata grants nothing. Every token of a client names
 * the client's one grant (`gid` = `cc:<client_id>`), which holds the revocation records
 * userinfo and introspection check (RFC 7009), so a token costs no new object.
 */
export async function clientCredentialsGrant({
  env,
  client,
  params,
  targets,
  userinfo,
  registry,
  boundThumbprint,
  dpopJkt,
}: GrantContext): Promise<TokenResponse> {
  const config = getConfig(env);
  const { grants } = effectiveGrants(client, client.operatorGrants, config, registry);
  const { resources, scope } = clientTokenScope(registry, grants, { targets, userinfo, scope: params.scope }, { forUser: false });
  const lifetime = accessTokenLifetime(registry, resources, config.ttl.accessToken);
  const grantId = await liveClientGrant(env, client.client_id);
  const at = await issueAccessToken(env, {
    grantId,
    client,
    sub: client.client_id,
    scope,
    resources,
    lifetime,
    certificateThumbprint: boundThumbprint,
    dpopJkt,
  });
  return { access_token: at.token, token_type: dpopTokenType(dpopJkt), expires_in: at.expiresIn, scope };
}

/**
 * Until when this isolate last extended each client's grant. The grant must outlive every token
 * naming it, clock skew included (its alarm deletes the revocation records), so it is extended
 * to twice that, and again once a new token could outlive it: one Durable Object call per
 * client, isolate and token lifetime instead of one per token. Each entry is kept one token
 * lifetime (after that it would not spare a call), for at most 10 000 clients.
 */
const extendedUntil = isolateCache<string, number>({ name: "client-grant-extensions", maxEntries: 10_000, maxAgeMs: 24 * 3_600_000 });

async function liveClientGrant(env: Env, clientId: string): Promise<string> {
  const grantId = clientCredentialsGrantId(clientId);
  const config = getConfig(env);
  const lifetime = (config.ttl.accessToken + config.clockSkew) * 1000;
  const now = Date.now();
  if ((extendedUntil.get(clientId) ?? 0) > now + lifetime) return grantId;
  const expiresAt = now + 2 * lifetime;
  await grantObject(env, grantId).activate({
    grantId,
    clientId,
    sub: clientId,
    scope: "",
    resources: [],
    authTimeRequired: false,
    createdAt: now,
    expiresAt,
    offline: false,
  });
  // Forgetting (eviction) only costs one more extension.
  extendedUntil.set(clientId, expiresAt, { now, maxAgeMs: expiresAt - lifetime - now });
  return grantId;
}
