import { type Client, getConfig, invalidGrant, invalidRequest, invalidScope, PATHS, randomToken } from "@op/core";
import { verifyClientSignedJwt } from "@op/http";
import { SUPPORTED_SCOPES } from "@op/rules";
import { clientObject, type Env, grantObject, userBySub } from "@op/storage";
import { issueAccessToken } from "@op/tokens";
import type { GrantContext, TokenResponse } from "./context";

/**
 * RFC 7523 §2.1: a JWT the client signed with its registered keys, exchanged for an access
 * token. `sub` is the client itself, or, for clients the operator lists in
 * JWT_BEARER_TRUSTED_CLIENTS, one of this OP's users. No refresh token: the client can sign a
 * new assertion (§2.1 leaves it to the server; a replayable family adds nothing here).
 */
export async function jwtBearerGrant({ env, client, params, resources, boundThumbprint }: GrantContext): Promise<TokenResponse> {
  if (!params.assertion) throw invalidRequest("assertion is required");
  const sub = await verifiedSubject(env, client, params.assertion);
  const scope = bearerScope(client, params.scope, sub === client.client_id);
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
    expiresAt: now + getConfig(env).ttl.accessToken * 1000,
    offline: false,
  });
  const at = await issueAccessToken(env, { grantId, client, sub, scope, resources, certificateThumbprint: boundThumbprint });
  return { access_token: at.token, token_type: "Bearer", expires_in: at.expiresIn, scope };
}

async function verifiedSubject(env: Env, client: Client, assertion: string): Promise<string> {
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
  if (!config.jwtBearerTrustedClients.has(client.client_id)) throw invalidGrant("this client may only assert itself");
  if (!(await userBySub(env, sub)?.profile())) throw invalidGrant("assertion sub is not a known user");
  return sub;
}

/** Scopes as at the authorization endpoint for users (known ones, within the client's); the client's own for itself. */
function bearerScope(client: Client, requested: string | undefined, forItself: boolean): string {
  const clientScopes = client.scope ? client.scope.split(" ") : undefined;
  const wanted = (requested ?? "").split(" ").filter(Boolean);
  const allowed = (s: string) =>
    !forItself
      ? SUPPORTED_SCOPES.includes(s) && s !== "offline_access" && (!clientScopes || clientScopes.includes(s) || s === "openid")
      : !!clientScopes?.includes(s) && s !== "openid";
  const refused = wanted.find((s) => !allowed(s));
  if (refused) throw invalidScope(`scope ${refused} is not allowed here`);
  return [...new Set(wanted.length ? wanted : forItself ? (clientScopes ?? []).filter(allowed) : [])].join(" ");
}
