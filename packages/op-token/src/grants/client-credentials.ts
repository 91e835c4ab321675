import { type Client, getConfig, invalidScope, isolateCache } from "@op/core";
import { clientCredentialsGrantId, type Env, grantObject } from "@op/storage";
import { issueAccessToken } from "@op/tokens";
import type { GrantContext, TokenResponse } from "./context";

/** Scopes a client may ask for on its own behalf: its registered `scope`, never user scopes. */
const USER_ONLY_SCOPES = new Set(["openid", "offline_access"]);

function clientCredentialsScope(client: Client, requested: string | undefined): string {
  const allowed = (client.scope ?? "").split(" ").filter((s) => s && !USER_ONLY_SCOPES.has(s));
  if (requested === undefined) return allowed.join(" ");
  const wanted = [...new Set(requested.split(" ").filter(Boolean))];
  const refused = wanted.find((s) => !allowed.includes(s));
  if (refused) throw invalidScope(`scope ${refused} is not allowed for this client`);
  return wanted.join(" ");
}

/**
 * RFC 6749 §4.4: the client acts for itself; no refresh token (§4.4.3). Every token of a client
 * names the client's one grant (`gid` = `cc:<client_id>`), which holds the revocation records
 * userinfo and introspection check (RFC 7009), so a token costs no new object.
 */
export async function clientCredentialsGrant({ env, client, params, resources, boundThumbprint }: GrantContext): Promise<TokenResponse> {
  const scope = clientCredentialsScope(client, params.scope);
  const grantId = await liveClientGrant(env, client.client_id);
  const at = await issueAccessToken(env, { grantId, client, sub: client.client_id, scope, resources, certificateThumbprint: boundThumbprint });
  return { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope };
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
