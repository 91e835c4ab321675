import { base64url, getConfig, type SigningAlg } from "@op/core";
import type { Env } from "@op/storage";
import { KEY_ACTIVATION_DELAY_MS, keyStore, type SigningKey, signingKeyAt } from "@op/storage";
import { CompactSign, compactVerify, createLocalJWKSet, errors, importJWK, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";

type KeyEnv = Pick<Env, "KEY_STORE" | "ISSUER" | "ENVIRONMENT">;

/**
 * The store's signing keys, cached in this isolate for at most KEY_ACTIVATION_DELAY_MS from
 * when they were asked for: a rotation retires the current keys that long after it, so a cached
 * key never signs once retired, and a new one signs only once its time has come.
 */
let signingKeys: { until: number; keys: SigningKey[] } | undefined;
let loadingKeys: Promise<{ until: number; keys: SigningKey[] }> | undefined;
const privateKeys = new Map<string, Promise<CryptoKey>>();

async function currentSigningKeys(env: KeyEnv, now: number): Promise<SigningKey[]> {
  if (signingKeys && now < signingKeys.until) return signingKeys.keys;
  // Concurrent requests share one fetch; `until` counts from before the call, to be safe.
  loadingKeys ??= keyStore(env)
    .signingKeys()
    .then(({ keys }) => (signingKeys = { until: now + KEY_ACTIVATION_DELAY_MS, keys }))
    .finally(() => (loadingKeys = undefined));
  return (await loadingKeys).keys;
}

/** The key that signs `alg` at `now` (exported for the rotation tests, which pass a later `now`). */
export async function signingKey(env: KeyEnv, alg: SigningAlg, now = Date.now()): Promise<SigningKey> {
  const key = signingKeyAt(await currentSigningKeys(env, now), alg, now);
  if (!key) throw new Error(`no active ${alg} key`);
  return key;
}

function privateKey(key: SigningKey): Promise<CryptoKey> {
  let imported = privateKeys.get(key.kid);
  if (!imported) {
    if (privateKeys.size >= 16) privateKeys.clear(); // retired keys are never used again
    imported = importJWK(key.privateJwk, key.alg, { extractable: false }) as Promise<CryptoKey>;
    privateKeys.set(key.kid, imported);
  }
  return imported;
}

/** Signs with the current key for `alg`, in this isolate (no call to the key store per signature). */
export async function signJwt(env: KeyEnv, alg: SigningAlg, payload: Record<string, unknown>, typ?: string): Promise<string> {
  const key = await signingKey(env, alg);
  const jws = new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid: key.kid, ...(typ ? { typ } : {}) });
  return jws.sign(await privateKey(key));
}

// Public keys are cached per isolate for a short time and refetched on an unknown kid, so a
// rotation is picked up on the first token signed with the new key.
let jwksCache: { at: number; kids: Set<string>; set: ReturnType<typeof createLocalJWKSet> } | undefined;
const JWKS_CACHE_MS = 60_000;

async function loadJwks(env: KeyEnv) {
  const jwks = await keyStore(env).jwks();
  jwksCache = { at: Date.now(), kids: new Set(jwks.keys.map((k) => k.kid)), set: createLocalJWKSet(jwks) };
  return jwksCache;
}

function headerKid(token: string): string | undefined {
  try {
    const header = JSON.parse(atob(token.split(".")[0]!.replace(/-/g, "+").replace(/_/g, "/")));
    return typeof header.kid === "string" ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

async function ownKeys(env: KeyEnv, token: string) {
  const kid = headerKid(token);
  const cache = jwksCache;
  if (!cache || Date.now() - cache.at > JWKS_CACHE_MS || (kid && !cache.kids.has(kid))) return (await loadJwks(env)).set;
  return cache.set;
}

/** Verifies a JWT this OP signed. Throws jose errors on any failure. */
export async function verifyOwnJwt(env: KeyEnv, token: string, options: JWTVerifyOptions = {}): Promise<JWTPayload> {
  const config = getConfig(env);
  const { payload } = await jwtVerify(token, await ownKeys(env, token), {
    issuer: config.issuer,
    clockTolerance: config.clockSkew,
    algorithms: [...config.signingAlgs],
    ...options,
  });
  return payload;
}

/**
 * OIDC Core §3.1.2.1 id_token_hint: our signature and issuer, but an expired token is still a
 * valid hint. Returns null when the hint is not an ID token this OP issued.
 */
export async function verifyIdTokenHint(env: KeyEnv, token: string): Promise<(JWTPayload & { sub: string }) | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(token, await ownKeys(env, token), { algorithms: [...getConfig(env).signingAlgs] });
    // Neither an access token nor a logout token (OIDC Back-Channel Logout §4.1) is an ID token.
    if (protectedHeader.typ === "at+jwt" || protectedHeader.typ === "logout+jwt") return null;
    const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
    if (claims.events !== undefined) return null;
    if (claims.iss !== getConfig(env).issuer || typeof claims.sub !== "string") return null;
    return claims as JWTPayload & { sub: string };
  } catch {
    return null;
  }
}

export { errors as joseErrors };

/** RFC 7519 §4.1.3: `aud` is a string or an array of them. */
export const audiencesOf = (aud: unknown): string[] => (Array.isArray(aud) ? aud : typeof aud === "string" ? [aud] : []);

/** OIDC Core §3.1.3.6 / §3.3.2.11: left half of the hash the signing alg uses, base64url. */
export async function halfHash(value: string, alg: string): Promise<string> {
  const digest = alg === "EdDSA" || alg === "Ed25519" || alg.endsWith("512") ? "SHA-512" : alg.endsWith("384") ? "SHA-384" : "SHA-256";
  const full = new Uint8Array(await crypto.subtle.digest(digest, new TextEncoder().encode(value)));
  return base64url(full.slice(0, full.length / 2));
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
