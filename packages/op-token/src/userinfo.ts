import { type Client, getConfig, insufficientScope, invalidRequest, invalidToken, missingToken } from "@op/core";
import { dpopNonces, json, NO_STORE, type OpContext, readForm, verifyDpopBinding } from "@op/http";
import { AuthError, type Credentials, readCredentials } from "@op/resource-server";
import { nonceRequired, releaseClaims, subjectFor } from "@op/rules";
import { cachedClient, type Env, grantObject, userBySub } from "@op/storage";
import { encryptForClient, signJwt, userinfoAudience, verifyAccessToken } from "@op/tokens";

/**
 * OIDC Core §5.3 UserInfo, GET or POST; RFC 6750 for a bearer token, RFC 9449 §7 for a DPoP-bound
 * one, RFC 8705 §3 for a certificate-bound one: the binding is the resource-server kit's check
 * (verifyBinding), the one operators' APIs run. Every error carries a Bearer and a DPoP
 * challenge (the route's bearerChallenges step), the error on the scheme the request used.
 */
export async function userinfoEndpoint(c: OpContext): Promise<Response> {
  const { env } = c;
  const request = c.req.raw;
  const credentials = await presentedToken(request);
  const challenge = { challenge: credentials.scheme };
  const claims = await verifyAccessToken(env, credentials.token, userinfoAudience(getConfig(env).issuer)).catch((err) => {
    throw invalidToken("access token is invalid or expired", { ...challenge, debug: String(err) });
  });
  await verifyDpopBinding(env, request, credentials, claims);
  const response = await userinfoFor(env, claims, credentials);
  const config = getConfig(env);
  // RFC 9449 §9: where resources ask for nonces, each answer to a DPoP request carries the current one.
  if (credentials.scheme === "DPoP" && nonceRequired(config.dpop.nonce, "resource")) response.headers.set("DPoP-Nonce", await dpopNonces(config).current());
  return response;
}

async function userinfoFor(env: Env, claims: Awaited<ReturnType<typeof verifyAccessToken>>, credentials: Credentials): Promise<Response> {
  const challenge = { challenge: credentials.scheme };
  // The client shapes the response only (format, the sub it sees): a cached copy will do.
  const [grant, client] = await Promise.all([grantObject(env, claims.gid).status(claims.jti), cachedClient(env, claims.client_id)]);
  // The grant's account, seen as its client sees it (OIDC Core §8), must be the token's sub.
  if (!grant || !client || grant.clientId !== claims.client_id || (await subjectFor(client, grant.sub, getConfig(env))) !== claims.sub) {
    throw invalidToken("access token has been revoked", challenge);
  }
  const scopes = claims.scope.split(" ");
  if (!scopes.includes("openid")) throw insufficientScope("the openid scope is required", challenge);
  const profile = await userBySub(env, grant.sub)?.profile();
  if (!profile) throw invalidToken("the user no longer exists", challenge);
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

/** The kit's reading of the Authorization header (RFC 6750 §2.1, RFC 9449 §7.1), its refusals in the OP's error model. */
function headerCredentials(request: Request): Credentials | undefined {
  try {
    return readCredentials(request, { dpop: true });
  } catch (e) {
    if (e instanceof AuthError) throw invalidRequest(e.description, { challenge: e.details.scheme });
    throw e;
  }
}

/**
 * RFC 6750 §2.1/§2.2: Authorization header (Bearer, or RFC 9449 §7.1 DPoP) or form body (Bearer
 * only), exactly one; never the query.
 */
async function presentedToken(request: Request): Promise<Credentials> {
  const header = headerCredentials(request);
  let body: string | undefined;
  if (request.method === "POST" && (request.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
    const { params, duplicates } = await readForm(request);
    if (duplicates.includes("access_token")) throw invalidRequest("access_token is included more than once");
    body = params.access_token;
  }
  if (header && body) throw invalidRequest("the access token must be sent one way only");
  if (header) return header;
  if (!body) throw missingToken("access token is required");
  return { scheme: "Bearer", token: body };
}
