import { getConfig, type Config } from "../config";
import type { Env } from "../env";
import type { Client } from "../schemas/client";
import {
  checkAlg,
  checkIssuerAndAudience,
  checkJti,
  checkLimits,
  checkSize,
  checkTimes,
  decryptIfEncrypted,
  headerAlg,
  toAuthorizationParams,
  verifySignature,
} from "./checks";
import { checkFetchableUri, checkRegisteredRequestUri, fetchRequestObject } from "./fetch-request-uri";

export { invalidRequestObject, MAX_CLAIMS, MAX_VALUE_LENGTH } from "./checks";
export { isInternalHost } from "./fetch-request-uri";

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
export async function validateRequestObject(
  env: Pick<Env, "KEY_STORE" | "REPLAY_GUARD" | "ISSUER">,
  client: Client,
  jwt: string,
  opts: { signatureRequired: boolean },
): Promise<RequestObjectContent> {
  const config = getConfig(env);
  checkSize(jwt, config);
  const { jws } = await decryptIfEncrypted(env, jwt);
  checkSize(jws, config);
  const alg = headerAlg(jws);
  checkAlg(client, alg, opts.signatureRequired);
  const payload = await verifySignature(client, jws, alg);
  const signed = alg !== "none";
  checkLimits(payload);
  checkTimes(payload, config);
  checkIssuerAndAudience(payload, client, config.issuer, signed);
  const content = toAuthorizationParams(payload, client);
  await checkJti(env, payload, client, config, signed);
  return { ...content, signed };
}

/** RFC 9101 §5.2 / OIDC Core §6.2: the request object behind a registered request_uri, fetched with the SSRF guard. */
export async function fetchRegisteredRequestObject(
  config: Pick<Config, "development" | "requestObject">,
  client: Pick<Client, "request_uris">,
  uri: string,
): Promise<string> {
  checkRegisteredRequestUri(client, uri);
  const url = checkFetchableUri(uri, config);
  return fetchRequestObject(url, config.requestObject.maxBytes);
}
