import { getConfig, grantObject, invalidScope, issueAccessToken, randomToken, type Client } from "@op/common";
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
 * RFC 6749 §4.4: the client acts for itself. Each response is its own grant (no refresh token,
 * §4.4.3), so its access token can be revoked and introspected like any other.
 */
export async function clientCredentialsGrant({ env, client, params, resources, boundThumbprint }: GrantContext): Promise<TokenResponse> {
  const scope = clientCredentialsScope(client, params.scope);
  const grantId = randomToken(16);
  const now = Date.now();
  await grantObject(env, grantId).activate({
    grantId,
    clientId: client.client_id,
    sub: client.client_id,
    scope,
    resources,
    authTimeRequired: false,
    createdAt: now,
    expiresAt: now + getConfig(env).ttl.accessToken * 1000,
    offline: false,
  });
  const at = await issueAccessToken(env, { grantId, sub: client.client_id, clientId: client.client_id, scope, resources, certificateThumbprint: boundThumbprint });
  return { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope };
}
