import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import {
  ASSERTION_ALGS, claimJti, clientObject, getConfig, openSecret, PATHS, type Client, type Env,
} from "@op/common";
import { invalidClient, type PresentedCredentials } from "./credentials";
import { clientJwksFromUri } from "./client-jwks";

/** RFC 7521 §4.2 / RFC 7523 §2.2 */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** client_assertion in the body; the client is the assertion's `sub` (RFC 7523 §3). */
export function presentedClientAssertion(params: Record<string, string>, issuer: string): PresentedCredentials | undefined {
  if (params.client_assertion === undefined && params.client_assertion_type === undefined) return undefined;
  if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE || !params.client_assertion) {
    throw invalidClient("client_assertion_type must be jwt-bearer with a client_assertion", issuer);
  }
  let claims: JWTPayload;
  try {
    claims = decodeJwt(params.client_assertion);
  } catch {
    throw invalidClient("client_assertion is not a JWT", issuer);
  }
  if (typeof claims.sub !== "string" || claims.iss !== claims.sub) throw invalidClient("client_assertion iss and sub must both be the client_id", issuer);
  return { method: "client_assertion", clientId: claims.sub, assertion: params.client_assertion };
}

/**
 * RFC 7523 §3 with OIDC Core §9: signature by the client's key (private_key_jwt) or secret
 * (client_secret_jwt); iss = sub = client_id; aud the issuer or the endpoint's URL; exp required
 * and at most CLIENT_ASSERTION_MAX_LIFETIME ahead; jti single-use, claimed in a Durable Object.
 */
export async function verifyClientAssertion(env: Env, presented: PresentedCredentials, endpointPath: string): Promise<Client | null> {
  const config = getConfig(env);
  const keyMaterial = await clientObject(env, presented.clientId).sealedSecret();
  if (!keyMaterial) return null;
  const { client, sealedSecret } = keyMaterial;
  const method = client.token_endpoint_auth_method;
  if (method !== "private_key_jwt" && method !== "client_secret_jwt") throw invalidClient(`client must authenticate with ${method}`, config.issuer);
  const algorithms = client.token_endpoint_auth_signing_alg ? [client.token_endpoint_auth_signing_alg] : [...ASSERTION_ALGS[method]];
  const audience = [config.issuer, `${config.issuer}${endpointPath}`, `${config.issuer}${PATHS.token}`];
  const verifyOptions = { issuer: client.client_id, subject: client.client_id, audience, algorithms, clockTolerance: config.clockSkew, requiredClaims: ["exp", "jti"] };
  let payload: JWTPayload;
  try {
    if (method === "client_secret_jwt") {
      if (!sealedSecret || !config.clientSecretEncryptionKey) return null;
      const secret = new TextEncoder().encode(await openSecret(config.clientSecretEncryptionKey, client.client_id, sealedSecret));
      ({ payload } = await jwtVerify(presented.assertion!, secret, verifyOptions));
    } else if (client.jwks) {
      ({ payload } = await jwtVerify(presented.assertion!, createLocalJWKSet(client.jwks as never), verifyOptions));
    } else if (client.jwks_uri) {
      const kid = decodeProtectedHeader(presented.assertion!).kid;
      ({ payload } = await jwtVerify(presented.assertion!, await clientJwksFromUri(client.jwks_uri, kid), verifyOptions));
    } else return null;
  } catch (err) {
    // A bad signature or claim is the client's problem; an unreachable jwks_uri is worth a log line.
    if (!(err instanceof errors.JOSEError)) console.warn(JSON.stringify({ level: "warn", message: "client keys unavailable", clientId: client.client_id, error: String(err) }));
    return null;
  }
  const now = Math.floor(Date.now() / 1000);
  if (payload.exp! - now > config.clientAssertionMaxLifetime) throw invalidClient("client_assertion lives too long", config.issuer);
  if (typeof payload.jti !== "string" || !payload.jti || payload.jti.length > 200) throw invalidClient("client_assertion jti is missing", config.issuer);
  if (!(await claimJti(env, "client-assertion", client.client_id, payload.jti, (payload.exp! + config.clockSkew) * 1000))) {
    throw invalidClient("client_assertion has already been used", config.issuer);
  }
  return client;
}
