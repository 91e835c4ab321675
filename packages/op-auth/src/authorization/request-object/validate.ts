import { type Client, ENCRYPTION_ALGS, ENCRYPTION_ENCS, getConfig, invalidRequestObject, OAuthError } from "@op/core";
import {
  checkAlg,
  checkIssuerAndAudience,
  checkLimits,
  checkSize,
  checkTimes,
  decodeJson,
  headerAlg,
  headerKid,
  type JsonObject,
  jtiRememberedUntil,
  jtiToClaim,
  parseJson,
  toAuthorizationParams,
} from "@op/rules";
import { claimJti, type Env, keyStore } from "@op/storage";
import { checkJwtRole, clientVerificationKeys, warnIfClientKeysUnavailable } from "@op/tokens";
import { compactVerify } from "jose";
import { checkRegisteredRequestUri, fetchRequestObject } from "./fetch-request-uri";

/** The authorization request a request object carries. */
export interface RequestObjectContent {
  params: Record<string, string>;
  resources: string[];
  signed: boolean;
}

/**
 * RFC 9101 §6 / OIDC Core §6.3: the one request object validator, used by the authorization
 * endpoint and the PAR endpoint. Size, decryption (RFC 9101 §6.1), alg allow-list, signature
 * by the client's keys, claim limits, times, iss/aud, then the parameters; the jti is claimed
 * last so an object rejected for another reason does not burn it.
 */
export async function validateRequestObject(env: Env, client: Client, jwt: string, opts: { signatureRequired: boolean }): Promise<RequestObjectContent> {
  const config = getConfig(env);
  checkSize(jwt, config);
  const jws = await decryptIfEncrypted(env, jwt);
  checkSize(jws, config);
  const alg = headerAlg(jws);
  checkAlg(client, alg, opts.signatureRequired);
  const payload = await verifySignature(env, client, jws, alg);
  const signed = alg !== "none";
  checkLimits(payload);
  checkJwtRole("request_object", decodeJson(jws.split(".")[0]!, "header"), payload, invalidRequestObject); // RFC 9101 §10.8
  checkTimes(payload, config);
  checkIssuerAndAudience(payload, client, config.issuer, signed);
  const content = toAuthorizationParams(payload, client);
  const jti = jtiToClaim(payload, config, signed);
  if (jti !== undefined && !(await claimJti(env, "request-object", client.client_id, jti, jtiRememberedUntil(payload, config)))) {
    throw invalidRequestObject("the request object has already been used (jti)");
  }
  return { ...content, signed };
}

/** RFC 9101 §6.1: a five-part object is a JWE to one of the OP's `use: "enc"` keys; it holds the JWS. */
async function decryptIfEncrypted(env: Pick<Env, "KEY_STORE">, jwt: string): Promise<string> {
  if (jwt.split(".").length !== 5) return jwt;
  const plaintext = await keyStore(env).decrypt(jwt, { algs: ENCRYPTION_ALGS, encs: ENCRYPTION_ENCS });
  if (plaintext === null) throw invalidRequestObject("the request object could not be decrypted with this OP's encryption keys");
  return plaintext.trim();
}

/** RFC 9101 §6.2: the client's registered keys (jwks or jwks_uri) verify the signature; the payload is returned. */
async function verifySignature(env: Env, client: Client, jws: string, alg: string): Promise<JsonObject> {
  if (alg === "none") {
    const [, payload, signature] = jws.split(".");
    if (signature !== "") throw invalidRequestObject("an unsigned request object has an empty signature");
    return decodeJson(payload!, "payload");
  }
  try {
    const keys = await clientVerificationKeys(env, client, headerKid(jws));
    if (!keys) throw invalidRequestObject("the client has no registered keys to verify the request object");
    const { payload } = await compactVerify(jws, keys, { algorithms: [alg] });
    return parseJson(new TextDecoder().decode(payload), "payload");
  } catch (err) {
    if (err instanceof OAuthError) throw err;
    warnIfClientKeysUnavailable(err, client.client_id);
    throw invalidRequestObject("the request object signature could not be verified with the client's keys");
  }
}

/** RFC 9101 §5.2 / OIDC Core §6.2: the request object behind a registered request_uri, fetched through the one client-document fetcher. */
export async function fetchRegisteredRequestObject(env: Env, client: Pick<Client, "client_id" | "request_uris">, uri: string): Promise<string> {
  checkRegisteredRequestUri(client, uri);
  return fetchRequestObject(env, client.client_id, uri);
}
