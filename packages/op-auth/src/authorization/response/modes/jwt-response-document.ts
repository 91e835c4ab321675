import { type Client, getConfig, invalidClient } from "@op/core";
import type { Env } from "@op/storage";
import { encryptForClient, nowSeconds, signJwt } from "@op/tokens";

/**
 * JARM §2.1: the authorization response parameters (success or error) as claims of one JWT,
 * with `iss`, `aud` = client_id and a short `exp`. Signed with the client's
 * authorization_signed_response_alg (RS256 by default) by the key store's active key for that
 * alg, whose `kid` is in the header; encrypted to the client's key when it registered
 * authorization_encrypted_response_alg (JARM §2.2, nested as OIDC Core §10.2 does for ID tokens).
 */
export async function jwtResponseDocument(env: Env, client: Client, params: Record<string, string>): Promise<string> {
  const config = getConfig(env);
  const exp = nowSeconds() + config.ttl.jarmResponse;
  // The claims come last so a parameter can never overwrite them; `iss` is already among the params (RFC 9207 §2.4).
  const signed = await signJwt(env, client.authorization_signed_response_alg ?? "RS256", { ...params, iss: config.issuer, aud: client.client_id, exp });
  const alg = client.authorization_encrypted_response_alg;
  if (!alg) return signed;
  try {
    return await encryptForClient(env, client, signed, { alg, enc: client.authorization_encrypted_response_enc ?? "A128CBC-HS256", nested: true });
  } catch {
    // No usable key (none in the set, or jwks_uri unreachable): the response cannot go out as the client asked, so it goes nowhere.
    throw invalidClient("the authorization response cannot be encrypted: the client has no usable key for authorization_encrypted_response_alg", {
      status: 400,
    });
  }
}
