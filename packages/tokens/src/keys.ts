import { base64url, getConfig, isolateCache, type SigningAlg } from "@op/core";
import type { Env } from "@op/storage";
import { KEY_ACTIVATION_DELAY_MS, keyStore, type SigningKey, signingKeyAt } from "@op/storage";
import { CompactSign, compactVerify, createLocalJWKSet, errors, importJWK, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";
import { jwtRoleRefusal } from "./jwt-roles";

type KeyEnv = Pick<Env, "KEY_STORE" | "ISSUER" | "ENVIRONMENT">;

/**
 * The store's signing keys, cached in this isolate for at most KEY_ACTIVATION_DELAY_MS from
 * when they were asked for: a rotation retires the current keys that long after it, so a cached
 * key never signs once retired, and a new one signs only once its time has come. The age
 * counts from before the fetch (`getOrLoad`).
 */
const signingKeySets = isolateCache<"current", SigningKey[]>({ name: "signing-keys", maxEntries: 1, maxAgeMs: KEY_ACTIVATION_DELAY_MS });
/** Imported private keys by kid; a kid's key never changes, and retired ones fall out as the least recently used. */
const privateKeys = isolateCache<string, CryptoKey>({ name: "private-signing-keys", maxEntries: 16, maxAgeMs: Number.POSITIVE_INFINITY });

async function currentSigningKeys(env: KeyEnv, now: number): Promise<SigningKey[]> {
  return signingKeySets.getOrLoad("current", async () => (await keyStore(env).signingKeys()).keys, { now });
}

/** The key that signs `alg` at `now` (exported for the rotation tests, which pass a later `now`). */
export async function signingKey(env: KeyEnv, alg: SigningAlg, now = Date.now()): Promise<SigningKey> {
  const key = signingKeyAt(await currentSigningKeys(env, now), alg, now);
  if (!key) throw new Error(`no active ${alg} key`);
  return key;
}

const privateKey = (key: SigningKey): Promise<CryptoKey> =>
  privateKeys.getOrLoad(key.kid, () => importJWK(key.privateJwk, key.alg, { extractable: false }) as Promise<CryptoKey>);

/** Signs with the current key for `alg`, in this isolate (no call to the key store per signature). */
export async function signJwt(env: KeyEnv, alg: SigningAlg, payload: Record<string, unknown>, typ?: string): Promise<string> {
  const key = await signingKey(env, alg);
  const jws = new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid: key.kid, ...(typ ? { typ } : {}) });
  return jws.sign(await privateKey(key));
}

/**
 * Our public keys, cached per isolate for 60 s and loaded again for a kid they lack, so a
 * rotation is picked up on the first token signed with the new key.
 */
interface OwnJwks {
  kids: Set<string>;
  set: ReturnType<typeof createLocalJWKSet>;
}
const ownJwks = isolateCache<"current", OwnJwks>({ name: "own-jwks", maxEntries: 1, maxAgeMs: 60_000 });

async function loadJwks(env: KeyEnv): Promise<OwnJwks> {
  const jwks = await keyStore(env).jwks();
  return { kids: new Set(jwks.keys.map((k) => k.kid)), set: createLocalJWKSet(jwks) };
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
  return (await ownJwks.getOrLoad("current", () => loadJwks(env), { reload: (cached) => kid !== undefined && !cached.kids.has(kid) })).set;
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
 * valid hint. Returns null when the hint is not an ID token this OP issued: not one of our access
 * tokens, logout tokens, userinfo, introspection or JARM responses either (jwt-roles.ts), whose
 * signatures are just as much ours. Used by /authorize, logout and token exchange actor tokens.
 */
export async function verifyIdTokenHint(env: KeyEnv, token: string): Promise<(JWTPayload & { sub: string }) | null> {
  try {
    const { payload, protectedHeader } = await compactVerify(token, await ownKeys(env, token), { algorithms: [...getConfig(env).signingAlgs] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as JWTPayload;
    if (jwtRoleRefusal("id_token", protectedHeader, claims) !== undefined) return null;
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
