import { type Client, type Config, invalidRequestObject, normalizeResponseType, REQUEST_OBJECT_SIGNING_ALGS } from "@op/core";
import { base64url } from "jose";

/** The steps of RFC 9101 §6 / OIDC Core §6.3, each one short check that throws or passes. */

/** Bounds on what a request object may carry (RFC 9101 §10.x: resource exhaustion). */
export const MAX_CLAIMS = 64;
export const MAX_VALUE_LENGTH = 8000;
const MAX_JTI_LENGTH = 200;
/** JWT claims that describe the object itself, not the authorization request (RFC 9101 §4). */
const JWT_CLAIMS = new Set(["iss", "aud", "exp", "iat", "nbf", "jti", "sub"]);

export type JsonObject = Record<string, unknown>;

/** RFC 9101 §10 (resource exhaustion): the request object within REQUEST_OBJECT_MAX_BYTES. */
export function checkSize(jwt: string, config: Pick<Config, "requestObject">): void {
  if (jwt.length > config.requestObject.maxBytes) throw invalidRequestObject(`the request object is larger than ${config.requestObject.maxBytes} bytes`);
}

/** RFC 7515 §7.1: the JWS header's alg; anything that is not a compact JWS with a JSON header is invalid. */
export function headerAlg(jws: string): string {
  const parts = jws.split(".");
  if (parts.length !== 3) throw invalidRequestObject("the request object is not a JWT");
  const header = decodeJson(parts[0]!, "header");
  if (typeof header.alg !== "string") throw invalidRequestObject("the request object header has no alg");
  return header.alg;
}

/**
 * RFC 9101 §6.1 / OIDC DCR §2: RS256, PS256 or ES256, or `none` when the client need not sign;
 * a client that registered request_object_signing_alg must use exactly that.
 */
export function checkAlg(client: Pick<Client, "request_object_signing_alg">, alg: string, signatureRequired: boolean): void {
  const allowed: string[] = signatureRequired ? [...REQUEST_OBJECT_SIGNING_ALGS] : [...REQUEST_OBJECT_SIGNING_ALGS, "none"];
  if (!allowed.includes(alg))
    throw invalidRequestObject(`request object alg ${alg} is not allowed${signatureRequired && alg === "none" ? ": this client must sign it" : ""}`);
  if (client.request_object_signing_alg && client.request_object_signing_alg !== alg) {
    throw invalidRequestObject(`this client's request objects must use ${client.request_object_signing_alg}`);
  }
}

/** RFC 9101 §10 (resource exhaustion): claim count and value sizes, before anything reads the claims. */
export function checkLimits(payload: JsonObject): void {
  const keys = Object.keys(payload);
  if (keys.length > MAX_CLAIMS) throw invalidRequestObject(`the request object has more than ${MAX_CLAIMS} claims`);
  for (const key of keys) {
    if (key.length > 100) throw invalidRequestObject("a request object claim name is too long");
    const value = payload[key];
    const size = typeof value === "string" ? value.length : (JSON.stringify(value)?.length ?? 0);
    if (size > MAX_VALUE_LENGTH) throw invalidRequestObject(`request object claim ${key} is longer than ${MAX_VALUE_LENGTH} characters`);
  }
}

const isNumericDate = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/**
 * RFC 7519 §4.1.4-6 with the OP's clock skew: not expired, not before nbf, not issued in the
 * future, and exp at most REQUEST_OBJECT_MAX_LIFETIME ahead (a long-lived object is a replay risk).
 */
export function checkTimes(payload: JsonObject, config: Pick<Config, "clockSkew" | "requestObject">, now = Math.floor(Date.now() / 1000)): void {
  const { exp, nbf, iat } = payload;
  for (const [name, value] of [
    ["exp", exp],
    ["nbf", nbf],
    ["iat", iat],
  ] as const) {
    if (value !== undefined && !isNumericDate(value)) throw invalidRequestObject(`request object ${name} must be a NumericDate`);
  }
  if (exp === undefined && config.requestObject.requireJti) throw invalidRequestObject("the request object must carry exp");
  if (isNumericDate(exp) && exp <= now - config.clockSkew) throw invalidRequestObject("the request object has expired");
  if (isNumericDate(exp) && exp > now + config.requestObject.maxLifetime + config.clockSkew) {
    throw invalidRequestObject(`the request object's exp is more than ${config.requestObject.maxLifetime} seconds ahead`);
  }
  if (isNumericDate(nbf) && nbf > now + config.clockSkew) throw invalidRequestObject("the request object is not valid yet (nbf)");
  if (isNumericDate(iat) && iat > now + config.clockSkew) throw invalidRequestObject("the request object was issued in the future (iat)");
}

/**
 * RFC 9101 §4, §6.3 (and node oidc-provider): iss is the client and aud the OP's issuer. A
 * signed object must carry both; an unsigned one is checked where it names them.
 */
export function checkIssuerAndAudience(payload: JsonObject, client: Pick<Client, "client_id">, issuer: string, signed: boolean): void {
  const { iss, aud } = payload;
  if (iss !== undefined || signed) {
    if (iss !== client.client_id) throw invalidRequestObject("the request object's iss must be the client_id");
  }
  if (aud !== undefined || signed) {
    const audiences = Array.isArray(aud) ? aud : [aud];
    if (!audiences.every((a) => typeof a === "string") || !audiences.includes(issuer))
      throw invalidRequestObject("the request object's aud must be the issuer");
  }
}

/**
 * RFC 7519 §4.1.7 (replay): the jti a signed object must not reuse (undefined: none to claim).
 * An unsigned object's jti is checked for shape only: anyone can mint one, so a replay check
 * would only let others burn ids.
 */
export function jtiToClaim(payload: JsonObject, config: Pick<Config, "requestObject">, signed: boolean): string | undefined {
  const { jti } = payload;
  if (jti === undefined) {
    if (config.requestObject.requireJti) throw invalidRequestObject("the request object must carry jti");
    return undefined;
  }
  if (typeof jti !== "string" || !jti || jti.length > MAX_JTI_LENGTH) throw invalidRequestObject("the request object's jti must be a short string");
  return signed ? jti : undefined;
}

/** RFC 7519 §4.1.7: until when a signed object's jti is remembered: its exp, else the longest lifetime allowed, plus skew. */
export function jtiRememberedUntil(payload: JsonObject, config: Pick<Config, "clockSkew" | "requestObject">, now = Math.floor(Date.now() / 1000)): number {
  return ((typeof payload.exp === "number" ? payload.exp : now + config.requestObject.maxLifetime) + config.clockSkew) * 1000;
}

/**
 * RFC 9101 §4-5: the claims that are authorization request parameters, as the strings the
 * endpoint reads: numbers and booleans as text, `claims` as JSON, `resource` as a list (RFC 8707).
 * request and request_uri must not nest; a client_id inside must be the client's.
 */
export function toAuthorizationParams(payload: JsonObject, client: Pick<Client, "client_id">): { params: Record<string, string>; resources: string[] } {
  if ("request" in payload || "request_uri" in payload) throw invalidRequestObject("a request object must not contain request or request_uri");
  if (payload.client_id !== undefined && payload.client_id !== client.client_id)
    throw invalidRequestObject("the request object's client_id does not match the request's");
  const params: Record<string, string> = {};
  let resources: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(key)) continue;
    if (key === "resource") resources = resourceList(value);
    else if (typeof value === "string") params[key] = value;
    else if (typeof value === "number" || typeof value === "boolean") params[key] = String(value);
    else if (key === "claims" && value && typeof value === "object" && !Array.isArray(value)) params[key] = JSON.stringify(value);
    else throw invalidRequestObject(`request object claim ${key} has the wrong type`);
  }
  return { params, resources };
}

function resourceList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === "string") || list.length > 20)
    throw invalidRequestObject("request object resource must be a string or an array of strings");
  return list as string[];
}

/** RFC 7515 §4.1.4: the kid of a JWS header, if it names one. */
export function headerKid(jws: string): string | undefined {
  const kid = decodeJson(jws.split(".")[0]!, "header").kid;
  return typeof kid === "string" ? kid : undefined;
}

/** RFC 7515 §7.1: a base64url segment of a compact JWS holding a JSON object. */
export function decodeJson(part: string, what: string): JsonObject {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(base64url.decode(part));
  } catch {
    throw invalidRequestObject(`the request object ${what} is not base64url`);
  }
  return parseJson(text, what);
}

/** RFC 7519 §7.2: the payload is a JSON object (not an array, not a value). */
export function parseJson(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequestObject(`the request object ${what} is not JSON`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw invalidRequestObject(`the request object ${what} is not a JSON object`);
  return value as JsonObject;
}

/**
 * RFC 9101 §5: only the request object's parameters are used. OIDC Core §6.1 also requires
 * response_type (and scope with openid) outside it: they fill in when the object omits them and
 * must agree with it otherwise; client_id is always the outside one (checked against the object).
 */
export function mergeRequiredOutsideParameters(outside: Record<string, string>, fromObject: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...fromObject, client_id: outside.client_id! };
  for (const name of ["response_type", "scope"] as const) {
    const there = outside[name];
    const inside = fromObject[name];
    if (there === undefined) continue;
    if (inside === undefined) merged[name] = there;
    else if (!AGREES[name](there, inside)) throw invalidRequestObject(`${name} in the request differs from the request object's`);
  }
  return merged;
}

/** Space-separated sets (Multiple Response Types §2, RFC 6749 §3.3). */
const words = (v: string) => new Set(v.split(" ").filter(Boolean));
/**
 * response_type must be the same set. The outside scope is OIDC Core §6.1's marker ("openid"),
 * so it only conflicts when it names a scope the object does not: RPs commonly send
 * `scope=openid` outside and the full scope inside, and the object's value is the one used.
 */
const AGREES = {
  response_type: (a: string, b: string) => normalizeResponseType(a) === normalizeResponseType(b),
  scope: (outside: string, inside: string) => [...words(outside)].every((w) => words(inside).has(w)),
};
