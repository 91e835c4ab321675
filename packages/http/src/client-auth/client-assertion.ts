import type { AuthenticatedClient } from "@op/core";
import { getConfig, invalidClient, PATHS } from "@op/core";
import type { Env } from "@op/storage";
import { clientObject } from "@op/storage";
import { decodeJwt, type JWTPayload } from "jose";
import { verifyClientSignedJwt } from "./client-signed-jwt";
import type { PresentedCredentials } from "./credentials";

/** RFC 7521 §4.2 / RFC 7523 §2.2 */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** client_assertion in the body; the client is the assertion's `sub` (RFC 7523 §3). */
export function presentedClientAssertion(params: Record<string, string>): PresentedCredentials | undefined {
  if (params.client_assertion === undefined && params.client_assertion_type === undefined) return undefined;
  if (params.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE || !params.client_assertion) {
    throw invalidClient("client_assertion_type must be jwt-bearer with a client_assertion");
  }
  let claims: JWTPayload;
  try {
    claims = decodeJwt(params.client_assertion);
  } catch {
    throw invalidClient("client_assertion is not a JWT");
  }
  if (typeof claims.sub !== "string" || claims.iss !== claims.sub) throw invalidClient("client_assertion iss and sub must both be the client_id");
  return { method: "client_assertion", clientId: claims.sub, assertion: params.client_assertion };
}

/**
 * RFC 7523 §3 with OIDC Core §9: signature by the client's key (private_key_jwt) or secret
 * (client_secret_jwt); iss = sub = client_id; aud the issuer or the endpoint's URL; exp required
 * and a lifetime of at most CLIENT_ASSERTION_MAX_LIFETIME; a client assertion and nothing else
 * (not a request object, DPoP proof, … : jwt-roles.ts); jti single-use, claimed in a Durable Object.
 */
export async function verifyClientAssertion(env: Env, presented: PresentedCredentials, endpointPath: string): Promise<AuthenticatedClient | null> {
  const config = getConfig(env);
  const keyMaterial = await clientObject(env, presented.clientId).sealedSecrets();
  if (!keyMaterial) return null;
  const { client, sealedSecrets } = keyMaterial;
  const method = client.token_endpoint_auth_method;
  if (method !== "private_key_jwt" && method !== "client_secret_jwt") throw invalidClient(`client must authenticate with ${method}`);
  const origins = [config.issuer, ...(config.mtlsEndpointOrigin ? [config.mtlsEndpointOrigin] : [])];
  const audience = [config.issuer, ...origins.flatMap((o) => [`${o}${endpointPath}`, `${o}${PATHS.token}`])];
  const result = await verifyClientSignedJwt(env, client, presented.assertion!, { audience, purpose: "client-assertion", sealedSecrets });
  if ("failure" in result) {
    if (result.failure === "invalid") return null;
    throw invalidClient(`client_assertion: ${result.description}`);
  }
  return client;
}
