import { type Client, type GrantedAuthorization, getConfig, invalidGrant } from "@op/core";
import { accessTokenLifetime, dpopTokenType, type Registry, stillRegistered, wantsRefreshToken } from "@op/rules";
import { type Env, grantObject, userBySub } from "@op/storage";
import { issueAccessToken, issueIdToken, userinfoAudience } from "@op/tokens";
import type { TokenResponse } from "./context";

/** What tokens are issued for: the authorization, its grant, and the RFC 8705 certificate binding if any. */
export type IssuedAuthorization = GrantedAuthorization & {
  grantId: string;
  certificateThumbprint?: string;
  /** RFC 9449 §6: the DPoP key the access token is bound to. */
  dpopJkt?: string;
  /** A hybrid response already returned an access token, so this ID token carries no at_hash. */
  omitAtHash?: boolean;
};

export const scopesOf = (scope: string) => scope.split(" ").filter(Boolean);

export async function userClaims(env: Env, sub: string) {
  const profile = await userBySub(env, sub)?.profile();
  if (!profile) throw invalidGrant("the user no longer exists");
  return profile.claims;
}

/**
 * Access token, and an ID token for OpenID requests, for an authorization of `grantId`; the
 * access token is restricted to `resources` (RFC 8707), by default all the grant's, of which
 * only those still registered, and lives as long as the shortest-lived of them allows (their
 * `access_token_lifetime`).
 */
export async function accessAndIdToken(
  env: Env,
  client: Client,
  a: IssuedAuthorization,
  opts: { registry: Registry; omitNonce?: boolean; resources?: string[] },
): Promise<TokenResponse> {
  const config = getConfig(env);
  const resources = stillRegistered(opts.registry, opts.resources ?? a.resources, userinfoAudience(config.issuer));
  const lifetime = accessTokenLifetime(opts.registry, resources, config.ttl.accessToken);
  const at = await issueAccessToken(env, { ...a, client, resources, lifetime });
  const response: TokenResponse = { access_token: at.token, token_type: dpopTokenType(a.dpopJkt), expires_in: at.expiresIn, scope: a.scope };
  if (scopesOf(a.scope).includes("openid")) {
    response.id_token = await issueIdToken(env, {
      client,
      authorization: a,
      user: await userClaims(env, a.sub),
      accessTokenIssued: true, // scope claims: userinfo, and the ID token as the client's setting says (OIDC Core §5.4)
      accessToken: at.token,
      omitAtHash: a.omitAtHash,
      omitNonce: opts.omitNonce,
    });
  }
  return response;
}

/**
 * Starts the grant family in its Durable Object and issues the first tokens (for `resources`, by
 * default all the grant's); `refreshJkt` binds the family's refresh tokens to a DPoP key (RFC 9449 §5).
 */
export async function startGrant(
  env: Env,
  client: Client,
  a: IssuedAuthorization & { refreshJkt?: string },
  opts: { registry: Registry; resources?: string[] },
): Promise<TokenResponse> {
  const config = getConfig(env);
  const offline = wantsRefreshToken(client.grant_types, a.scope);
  const now = Date.now();
  const { refreshToken } = await grantObject(env, a.grantId).activate({
    ...a,
    createdAt: now,
    expiresAt: now + (offline ? config.ttl.refreshToken : config.ttl.accessToken) * 1000,
    offline,
  });
  const tokens = await accessAndIdToken(env, client, a, opts);
  return refreshToken ? { ...tokens, refresh_token: refreshToken } : tokens;
}
