import { bearerToken, getConfig, json, keyStore, OAuthError, timingSafeEqual, type Env } from "@op/common";

/** The admin API needs ADMIN_TOKEN (a secret); without one it does not exist. */
export function requireAdmin(request: Request, env: Env) {
  const config = getConfig(env);
  if (!config.adminToken) throw new OAuthError("not_found", "the admin API is disabled (set ADMIN_TOKEN)");
  const token = bearerToken(request);
  if (!token || !timingSafeEqual(token, config.adminToken)) {
    throw new OAuthError("invalid_token", "admin token is invalid", { headers: { "WWW-Authenticate": `Bearer realm="${config.issuer}/admin"` } });
  }
}

/** Rotates the signing keys; retired keys stay in the JWKS until what they signed has expired. */
export async function rotateKeys(request: Request, env: Env): Promise<Response> {
  requireAdmin(request, env);
  return json(await keyStore(env).rotate());
}

export async function listKeys(request: Request, env: Env): Promise<Response> {
  requireAdmin(request, env);
  return json(await keyStore(env).jwks());
}
