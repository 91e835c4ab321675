/**
 * RFC 9449 (DPoP) as pure functions: what a proof must be, what it must match, and what a
 * DPoP key binds. It imports only the algorithm list (@op/core/dpop-algs, itself import-free):
 * the resource-server kit uses this module through the `@op/rules/dpop` entry point without the
 * OP's other code, so the OP's token endpoint, its userinfo and an operator's API apply the
 * very same rules.
 */

import { DEFAULT_DPOP_ALGS, DPOP_ASYMMETRIC_ALGS } from "@op/core/dpop-algs";

export { DEFAULT_DPOP_ALGS, DPOP_ASYMMETRIC_ALGS };

/** RFC 9449 §4.3 step 5-6: why `alg` cannot sign a proof here (not asymmetric, or not allowed), or undefined. */
export function dpopAlgRefusal(alg: unknown, allowed: readonly string[]): string | undefined {
  if (typeof alg !== "string" || alg === "none") return "must be signed (alg none is refused)";
  if (!(DPOP_ASYMMETRIC_ALGS as readonly string[]).includes(alg)) return `alg ${alg} is not an asymmetric signature algorithm`;
  if (!allowed.includes(alg)) return `alg must be one of ${allowed.join(" ")}`;
  return undefined;
}

/** RFC 7517 §4, RFC 7518 §6.2.2, §6.3.2, §6.4, RFC 8037 §2: the members that make a JWK private (or symmetric). */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];

/** RFC 9449 §4.3 step 7: why `jwk` is not an asymmetric public key (a private member, a symmetric key), or undefined. */
export function dpopJwkRefusal(jwk: unknown): string | undefined {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return "must carry its public key in jwk";
  const key = jwk as Record<string, unknown>;
  if (PRIVATE_JWK_MEMBERS.some((m) => m in key)) return "jwk must not contain a private key";
  if (!["EC", "RSA", "OKP"].includes(key.kty as string)) return "jwk must be an asymmetric public key";
  return undefined;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * RFC 9449 §4.3 step 9: the URI without query and fragment, normalised per RFC 3986 §6.2.2
 * (case of scheme and host, default port, dot segments: the URL parser's; percent-encoding:
 * unreserved characters decoded, hex digits upper-cased) and §6.2.3 (empty path is "/").
 * Undefined when it is not an absolute http(s) URL.
 */
export function normalizeHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
  const path = url.pathname.replace(/%([0-9a-fA-F]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path || "/"}`;
}

/** RFC 9449 §4.3 step 9: whether the proof's `htu` names the URL the request was sent to (query and fragment ignored). */
export function htuMatches(htu: string, requestUrl: string): boolean {
  const expected = normalizeHtu(requestUrl);
  return expected !== undefined && normalizeHtu(htu) === expected;
}

/**
 * RFC 9449 §4.3 step 11, §11.1: why a proof issued at `iat` (seconds) is not acceptable at `now`
 * (milliseconds): older than `maxAge` seconds, or more than `skew` seconds in the future.
 */
export function dpopIatRefusal(iat: unknown, now: number, maxAge: number, skew: number): string | undefined {
  if (typeof iat !== "number" || !Number.isFinite(iat)) return "iat must be a number";
  const seconds = now / 1000;
  if (iat > seconds + skew) return "iat is in the future";
  if (iat < seconds - maxAge - skew) return "is too old (iat)";
  return undefined;
}

/** How long a proof's `jti` must be remembered: until no proof with that `iat` is accepted any more (RFC 9449 §11.1). */
export const dpopReplayExpiry = (iat: number, maxAge: number, skew: number): number => (iat + maxAge + skew) * 1000;

/** A bound on jti: RFC 9449 §4.2 asks for 96 bits of randomness, not for kilobytes to remember. */
const MAX_JTI_LENGTH = 512;

/**
 * RFC 9449 §4.2, §4.3 steps 8-10: why the proof's claims do not fit the request: `jti` a string,
 * `htm` the request's method, `htu` its URL; `iat` is dpopIatRefusal's.
 */
export function dpopClaimsRefusal(claims: Record<string, unknown>, request: { method: string; url: string }): string | undefined {
  const { jti, htm, htu } = claims;
  if (typeof jti !== "string" || !jti || jti.length > MAX_JTI_LENGTH) return "jti must be a string";
  if (typeof htm !== "string" || htm !== request.method) return "htm does not match the request's method";
  if (typeof htu !== "string" || !htuMatches(htu, request.url)) return "htu does not match the request's URL";
  return undefined;
}

/** Constant-time string comparison (lengths may differ: then false). */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * RFC 9449 §4.3 step 12, §7.1: at a protected resource the proof's `ath` must be the base64url
 * SHA-256 of the access token presented with it (`expected`, computed by the caller).
 */
export function athRefusal(ath: unknown, expected: string): string | undefined {
  if (typeof ath !== "string") return "must carry ath, the access token's hash";
  return constantTimeEqual(ath, expected) ? undefined : "ath does not match the access token";
}

/** RFC 7638 §3 SHA-256 thumbprint, base64url: 43 characters. */
const JKT = /^[A-Za-z0-9_-]{43}$/;

/** RFC 9449 §10: `dpop_jkt` is a JWK SHA-256 thumbprint (RFC 7638), base64url; undefined when it is not one. */
export const isJwkThumbprint = (value: unknown): value is string => typeof value === "string" && JKT.test(value);

/** RFC 9449 §6.1, §7.1, §5: whether the key of a proof (`presented`) is the one a token or code is bound to. */
export const sameDpopKey = (bound: string, presented: string | undefined): boolean => presented !== undefined && constantTimeEqual(bound, presented);

/**
 * RFC 9449 §10, §10.1: a code whose authorization request named `dpop_jkt` is redeemed only with
 * a proof by that key. Why the redemption is refused, or undefined.
 */
export function dpopJktRefusal(codeJkt: string | undefined, proofJkt: string | undefined): string | undefined {
  if (codeJkt === undefined) return undefined;
  if (proofJkt === undefined) return "the authorization code is bound to a DPoP key (dpop_jkt): a DPoP proof is required";
  return sameDpopKey(codeJkt, proofJkt) ? undefined : "the DPoP proof's key is not the one the authorization request named (dpop_jkt)";
}

/**
 * RFC 9449 §10.1: at the PAR endpoint, a `dpop_jkt` parameter and a DPoP proof must name the same
 * key; the proof's key is the request's binding when the parameter is absent. Returns the key the
 * request is bound to, or a refusal.
 */
export function pushedDpopJkt(param: string | undefined, proofJkt: string | undefined): { jkt?: string; refusal?: string } {
  if (param !== undefined && proofJkt !== undefined && !sameDpopKey(param, proofJkt))
    return { refusal: "dpop_jkt does not match the key of the request's DPoP proof" };
  return { jkt: param ?? proofJkt };
}

/**
 * RFC 9449 §5: refresh tokens issued to a public client under DPoP are bound to the proof's key;
 * a confidential client's are already bound to its credentials, so they are not. The key to
 * bind the refresh tokens to, or undefined.
 */
export const refreshTokenJkt = (client: { token_endpoint_auth_method: string }, proofJkt: string | undefined): string | undefined =>
  client.token_endpoint_auth_method === "none" ? proofJkt : undefined;

/** RFC 9449 §5: why a refresh token bound to `bound` cannot be used with a proof by `presented`, or undefined. */
export function refreshBindingRefusal(bound: string | undefined, presented: string | undefined): string | undefined {
  if (bound === undefined) return undefined;
  if (presented === undefined) return "the refresh token is bound to a DPoP key: a DPoP proof is required";
  return sameDpopKey(bound, presented) ? undefined : "the refresh token is bound to another DPoP key";
}

/**
 * RFC 9449 §5.2: a client registered with `dpop_bound_access_tokens` must send a proof with every
 * token request; so must every client where the server requires sender-constrained tokens (a
 * profile's switch, e.g. FAPI 2.0 §5.3.2.1, which mTLS binding also satisfies). Why a request
 * without a proof is refused, or undefined.
 */
export function dpopRequiredRefusal(
  client: { dpop_bound_access_tokens?: boolean },
  proof: { present: boolean; certificateBound?: boolean },
  serverRequiresSenderConstraint = false,
): string | undefined {
  if (proof.present) return undefined;
  if (client.dpop_bound_access_tokens) return "this client is registered with dpop_bound_access_tokens: its token requests need a DPoP proof";
  if (serverRequiresSenderConstraint && !proof.certificateBound) return "access tokens must be sender-constrained here: send a DPoP proof";
  return undefined;
}

/** RFC 9449 §7.1, RFC 6750 §2.1: the token type a token response and introspection name for a token bound to `jkt`. */
export const dpopTokenType = (jkt: string | undefined): "DPoP" | "Bearer" => (jkt === undefined ? "Bearer" : "DPoP");

/**
 * RFC 9449 §8-9: server nonces without per-nonce state. A nonce is a MAC of a time step of
 * `window` seconds; the current and the previous step's are accepted, so a nonce is good for
 * between one and two windows after it was handed out, and nothing is written per nonce. The
 * step a time (milliseconds) falls in:
 */
export const nonceStep = (now: number, window: number): number => Math.floor(now / 1000 / window);

/** RFC 9449 §8: the steps whose nonces are accepted at `now`: the current one first, then the previous. */
export const acceptedNonceSteps = (now: number, window: number): [number, number] => {
  const step = nonceStep(now, window);
  return [step, step - 1];
};

/** Where DPoP server nonces are required (DPOP_NONCE): nowhere, at the token and PAR endpoints (RFC 9449 §8), or also at userinfo (§9). */
export type DpopNoncePolicy = "off" | "token" | "all";

/** RFC 9449 §8, §9: whether a proof sent to `endpoint` must carry a server nonce under `policy`. */
export const nonceRequired = (policy: DpopNoncePolicy, endpoint: "token" | "par" | "resource"): boolean =>
  policy === "all" || (policy === "token" && endpoint !== "resource");
