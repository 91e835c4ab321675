import type { Client, GrantedAuthorization, StandardClaims } from "@op/core";
import { base64url, getConfig } from "@op/core";
import { idTokenCarriesScopeClaims, releaseClaims, subjectFor } from "@op/rules";
import { encryptForClient } from "./encryption";
import { halfHash, nowSeconds, signJwt } from "./keys";

/** RFC 7519 §6: an unsecured JWT, for clients registered for `none` (they get it over TLS from the token endpoint). */
const unsecuredJwt = (payload: Record<string, unknown>) =>
  `${base64url(new TextEncoder().encode(JSON.stringify({ alg: "none" })))}.${base64url(new TextEncoder().encode(JSON.stringify(payload)))}.`;

import type { Env } from "@op/storage";

export interface IdTokenInput {
  client: Client;
  authorization: GrantedAuthorization;
  user: StandardClaims;
  /** Whether an access token is issued with it (OIDC Core §5.4: the scope claims' place, idTokenCarriesScopeClaims). */
  accessTokenIssued: boolean;
  /** at_hash is computed for it (OIDC Core §3.3.2.11), unless omitAtHash. */
  accessToken?: string;
  omitAtHash?: boolean;
  /** c_hash (OIDC Core §3.3.2.11) for a code issued beside the ID token. */
  code?: string;
  /** s_hash (FAPI 1.0 Advanced §5.1) for the state returned beside the ID token. */
  state?: string;
  /** OIDC Core §12.2: an ID token from a refresh carries no nonce. */
  omitNonce?: boolean;
}

/** OIDC Core §2: builds and signs an ID token with the client's registered alg. */
export async function issueIdToken(env: Env, input: IdTokenInput): Promise<string> {
  const config = getConfig(env);
  const { client, authorization: a } = input;
  const alg = client.id_token_signed_response_alg;
  const iat = nowSeconds();
  const payload: Record<string, unknown> = {
    ...releaseClaims(input.user, a.scope.split(" "), a.claims?.id_token, idTokenCarriesScopeClaims(client, config, input.accessTokenIssued)),
    iss: config.issuer,
    sub: await subjectFor(client, a.sub, config), // OIDC Core §8: pairwise clients see their own sub
    aud: client.client_id,
    exp: iat + config.ttl.idToken,
    iat,
    // auth_time always: it is cheap, and OIDC requires it whenever max_age or require_auth_time applies.
    auth_time: a.authTime,
    acr: a.acr,
    amr: a.amr,
    sid: a.sid,
  };
  if (a.nonce && !input.omitNonce) payload.nonce = a.nonce;
  let jwt: string;
  if (alg === "none") {
    jwt = unsecuredJwt(payload); // no hash claims: `none` names no hash function
  } else {
    if (input.accessToken && !input.omitAtHash) payload.at_hash = await halfHash(input.accessToken, alg);
    if (input.code) payload.c_hash = await halfHash(input.code, alg);
    if (input.state) payload.s_hash = await halfHash(input.state, alg);
    jwt = await signJwt(env, alg, payload);
  }
  const encAlg = client.id_token_encrypted_response_alg;
  if (!encAlg) return jwt;
  return encryptForClient(env, client, jwt, { alg: encAlg, enc: client.id_token_encrypted_response_enc ?? "A128CBC-HS256", nested: true });
}
