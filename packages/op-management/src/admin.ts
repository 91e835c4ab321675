import { getConfig, hashSecret, invalidRequest, invalidToken, notFound, randomToken, sealSecret, timingSafeEqual, usesClientSecret } from "@op/core";
import { bearerToken, json } from "@op/http";
import { clientObject, type Env, freshClient, keyStore } from "@op/storage";

/** The admin API needs ADMIN_TOKEN (a secret); without one it does not exist. */
export function requireAdmin(request: Request, env: Env) {
  const config = getConfig(env);
  if (!config.adminToken) throw notFound("the admin API is disabled (set ADMIN_TOKEN)");
  const token = bearerToken(request);
  if (!token || !timingSafeEqual(token, config.adminToken)) {
    throw invalidToken("admin token is invalid", { headers: { "WWW-Authenticate": `Bearer realm="${config.issuer}/admin"` } });
  }
}

/** Rotates the signing keys; retired keys stay in the JWKS until what they signed has expired. */
export async function rotateKeys(request: Request, env: Env): Promise<Response> {
  requireAdmin(request, env);
  return json(await keyStore(env).rotate());
}

/**
 * Rotates a client's secret: the new one is returned once; the old one keeps working for
 * CLIENT_SECRET_ROTATION_OVERLAP seconds.
 */
export async function rotateClientSecret(request: Request, env: Env, clientId: string): Promise<Response> {
  requireAdmin(request, env);
  const config = getConfig(env);
  const client = await freshClient(env, clientId);
  if (!client) throw notFound("no client with this client_id");
  if (!usesClientSecret(client.token_endpoint_auth_method))
    throw invalidRequest(`this client authenticates with ${client.token_endpoint_auth_method}, not a secret`);
  const secret = randomToken(32);
  const sealed = client.token_endpoint_auth_method === "client_secret_jwt" ? await sealSecret(config.clientSecretEncryptionKey!, clientId, secret) : undefined;
  if (!(await clientObject(env, clientId).rotateSecret(await hashSecret(secret), sealed, config.clientSecretRotationOverlap * 1000))) {
    throw invalidRequest("this client has no secret to rotate");
  }
  return json({ client_id: clientId, client_secret: secret, previous_secret_valid_for: config.clientSecretRotationOverlap });
}

export async function listKeys(request: Request, env: Env): Promise<Response> {
  requireAdmin(request, env);
  return json(await keyStore(env).jwks());
}
