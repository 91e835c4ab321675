import { type Client, getConfig, insufficientScope, invalidRequest, invalidToken, missingToken } from "@op/core";
import { bearerToken, json, NO_STORE, type OpContext, presentedClientCertificate, readForm } from "@op/http";
import { releaseClaims, subjectFor } from "@op/rules";
import { cachedClient, type Env, grantObject, userBySub } from "@op/storage";
import { encryptForClient, signJwt, userinfoAudience, verifyAccessToken } from "@op/tokens";

/**
 * OIDC Core §5.3 UserInfo, GET or POST; RFC 6750 for the bearer token. Every error carries a
 * Bearer challenge (the route's bearerChallenges step).
 */
export async function userinfoEndpoint(c: OpContext): Promise<Response> {
  const { env } = c;
  const request = c.req.raw;
  const token = await presentedBearerToken(request);
  const claims = await verifyAccessToken(env, token, userinfoAudience(getConfig(env).issuer)).catch((err) => {
    throw invalidToken("access token is invalid or expired", { debug: String(err) });
  });
  checkCertificateBinding(request, env, claims.cnf?.["x5t#S256"]);
  // The client shapes the response only (format, the sub it sees): a cached copy will do.
  const [grant, client] = await Promise.all([grantObject(env, claims.gid).status(claims.jti), cachedClient(env, claims.client_id)]);
  // The grant's account, seen as its client sees it (OIDC Core §8), must be the token's sub.
  if (!grant || !client || grant.clientId !== claims.client_id || (await subjectFor(client, grant.sub, getConfig(env))) !== claims.sub) {
    throw invalidToken("access token has been revoked");
  }
  const scopes = claims.scope.split(" ");
  if (!scopes.includes("openid")) throw insufficientScope("the openid scope is required");
  const profile = await userBySub(env, grant.sub)?.profile();
  if (!profile) throw invalidToken("the user no longer exists");
  return userinfoResponse(env, client, { ...releaseClaims(profile.claims, scopes, grant.claims?.userinfo, true), sub: claims.sub });
}

/** OIDC Core §5.3.2: JSON, or a JWT signed with the client's userinfo_signed_response_alg (with iss and aud). */
async function userinfoResponse(env: Env, client: Client, body: Record<string, unknown>): Promise<Response> {
  const alg = client.userinfo_signed_response_alg;
  const encAlg = client.userinfo_encrypted_response_alg;
  if (!alg && !encAlg) return json(body);
  // OIDC Core §5.3.2: signed, then encrypted when both are registered (a nested JWT).
  const signed = alg ? await signJwt(env, alg, { ...body, iss: getConfig(env).issuer, aud: client.client_id }) : undefined;
  const jwt = encAlg
    ? await encryptForClient(env, client, signed ?? JSON.stringify(body), {
        alg: encAlg,
        enc: client.userinfo_encrypted_response_enc ?? "A128CBC-HS256",
        nested: signed !== undefined,
      })
    : signed!;
  return new Response(jwt, { headers: { "Content-Type": "application/jwt", ...NO_STORE } });
}

/** RFC 8705 §3: a certificate-bound token is only good with that certificate. */
function checkCertificateBinding(request: Request, env: Env, boundTo: string | undefined) {
  if (boundTo === undefined) return;
  const cert = presentedClientCertificate(request, getConfig(env));
  if (!cert || cert.thumbprint !== boundTo) throw invalidToken("the access token is bound to another client certificate");
}

/** RFC 6750 §2.1/§2.2: Authorization header or form body, exactly one; never the query. */
async function presentedBearerToken(request: Request): Promise<string> {
  const header = bearerToken(request);
  let body: string | undefined;
  if (request.method === "POST" && (request.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
    const { params, duplicates } = await readForm(request);
    if (duplicates.includes("access_token")) throw invalidRequest("access_token is included more than once");
    body = params.access_token;
  }
  if (header && body) throw invalidRequest("the access token must be sent one way only");
  const token = header ?? body;
  if (!token) throw missingToken("access token is required");
  return token;
}
