import type { Client } from "@op/core";
import { getConfig, randomToken } from "@op/core";
import { logoutTokenClaims, subjectFor } from "@op/rules";
import type { Env } from "@op/storage";
import { encryptForClient } from "./encryption";
import { JWT_ROLES } from "./jwt-roles";
import { nowSeconds, signJwt } from "./keys";

/**
 * OIDC Back-Channel Logout §2.4 (RFC 8725 §3.11 explicit typing): the logout token's `typ`, the
 * one the JWT roles name for the logout_token role (jwt-roles.ts), so that what the OP issues is
 * what every acceptance point recognises as a logout token and refuses in any other role.
 */
export const LOGOUT_TOKEN_TYP = JWT_ROLES.logout_token.typ[0]!;

/**
 * OIDC Back-Channel Logout §2.4: a logout token for `client` about the session `sid` of account
 * `sub`, signed "as the client's ID tokens": with its id_token_signed_response_alg (RS256 when it
 * takes unsigned ID tokens, since a logout token MUST be signed) and encrypted to it when its ID
 * tokens are. Each call is a new token (its own jti, iat and exp), so a retried delivery is
 * never stale.
 */
export async function issueLogoutToken(env: Env, client: Client, session: { sub: string; sid: string }) {
  const config = getConfig(env);
  const claims = logoutTokenClaims({
    issuer: config.issuer,
    clientId: client.client_id,
    sub: await subjectFor(client, session.sub, config),
    sid: session.sid,
    iat: nowSeconds(),
    ttl: config.ttl.logoutToken,
    jti: randomToken(16),
  });
  const alg = client.id_token_signed_response_alg === "none" ? config.signingAlgs[0] : client.id_token_signed_response_alg;
  const jws = await signJwt(env, alg, claims, LOGOUT_TOKEN_TYP);
  const encAlg = client.id_token_encrypted_response_alg;
  if (!encAlg) return jws;
  return encryptForClient(env, client, jws, { alg: encAlg, enc: client.id_token_encrypted_response_enc ?? "A128CBC-HS256", nested: true });
}
