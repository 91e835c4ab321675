import {
  acceptedNonceSteps,
  athRefusal,
  DEFAULT_DPOP_ALGS,
  dpopAlgRefusal,
  dpopClaimsRefusal,
  dpopIatRefusal,
  dpopJwkRefusal,
  dpopReplayExpiry,
  nonceStep,
  normalizeHtu,
  sameDpopKey,
} from "@op/rules/dpop";
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, type JWTPayload, jwtVerify } from "jose";
import { base64url, sha256Base64url } from "./encoding";
import { AuthError } from "./errors";

export { DEFAULT_DPOP_ALGS, normalizeHtu };

/** JWS algorithms a token or proof may be signed with: asymmetric only, never `none` or HMAC. */
export const ASYMMETRIC_ALGS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA", "Ed25519"] as const;
export type AsymmetricAlg = (typeof ASYMMETRIC_ALGS)[number];

/** RFC 9449 §11.1: a proof's `jti` seen within its acceptance window is a replay. */
export interface ReplayCache {
  /**
   * Records `key` until `expiresAt` (milliseconds since the epoch) and answers true, or false
   * when it is already recorded and not yet expired: a replay. Across isolates this needs
   * shared storage (a Durable Object, say); see MemoryReplayCache for the per-isolate default.
   */
  use(key: string, expiresAt: number): boolean | Promise<boolean>;
}

/**
 * The default replay cache: in memory, per isolate. Workers runs many isolates, so a proof
 * replayed to another isolate (or after this one is evicted) is not caught; and at most
 * `maxEntries` proofs are remembered, the oldest forgotten first once live ones fill it. A proof
 * lives only `maxAge` seconds (60 by default), which bounds what such a replay can do; an API
 * that needs more passes its own ReplayCache.
 */
export class MemoryReplayCache implements ReplayCache {
  readonly #seen = new Map<string, number>();
  constructor(
    readonly maxEntries = 10_000,
    private readonly clock: () => number = Date.now,
  ) {}

  use(key: string, expiresAt: number): boolean {
    const now = this.clock();
    const previous = this.#seen.get(key);
    if (previous !== undefined && previous > now) return false;
    this.#seen.delete(key);
    if (this.#seen.size >= this.maxEntries) this.#prune(now);
    this.#seen.set(key, expiresAt);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  /** Drops the expired entries, then the oldest until a tenth of the room is free (amortised). */
  #prune(now: number) {
    for (const [k, exp] of this.#seen) if (exp <= now) this.#seen.delete(k);
    const target = Math.floor(this.maxEntries * 0.9);
    for (const k of this.#seen.keys()) {
      if (this.#seen.size <= target) break;
      this.#seen.delete(k);
    }
  }
}

/** RFC 9449 §8/§9: server-provided nonces, when the API wants them. */
export interface DpopNonceHook {
  /** Whether `nonce` (undefined when the proof has none) is acceptable now. */
  check(nonce: string | undefined): boolean | Promise<boolean>;
  /** A fresh nonce for the DPoP-Nonce response header. */
  issue(): string | Promise<string>;
}

export interface DpopProofCheck {
  /** The DPoP request header's value. */
  proof: string;
  /** The request's method (compared with `htm`). */
  method: string;
  /** The request's URL as the client addressed it (compared with `htu`, query and fragment ignored). */
  url: string;
  /** The access token presented with the proof: `ath` must be its hash (RFC 9449 §4.3 step 12). */
  accessToken?: string;
  /** The token's `cnf.jkt`: the proof's key must have this RFC 7638 thumbprint. */
  jkt?: string;
  /** Accepted proof algorithms; default ES256, PS256 and EdDSA (DEFAULT_DPOP_ALGS). */
  algorithms?: readonly string[];
  /** How old a proof's `iat` may be, in seconds (default 60). */
  maxAge?: number;
  /** Clock skew allowed on `iat`, in seconds (default 5). */
  clockTolerance?: number;
  /** The current time in milliseconds (default Date.now()). */
  now?: number;
  /** Where seen `jti` values are kept; default one MemoryReplayCache per isolate; false: no replay check. */
  replay?: ReplayCache | false;
  /** Server nonces (RFC 9449 §8); without it a proof's nonce is ignored. */
  nonce?: DpopNonceHook;
}

export interface DpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key, as `cnf.jkt` carries it. */
  jkt: string;
  jwk: JWK;
  alg: string;
  jti: string;
  iat: number;
  htm: string;
  htu: string;
}

/** The isolate's default replay cache (see MemoryReplayCache for its limits). */
export const defaultReplayCache = new MemoryReplayCache();

const MAX_PROOF_LENGTH = 8192;

const invalid = (description: string) => new AuthError("invalid_dpop_proof", `the DPoP proof ${description}`, { scheme: "DPoP" });

/**
 * RFC 9449 §4.3: checks one DPoP proof (typ, alg, embedded public key, signature, htm, htu,
 * iat, nonce, ath and the key's thumbprint), and only then records its jti against replay. The
 * rules themselves are @op/rules/dpop's, shared with the OP's token endpoint and userinfo.
 * Throws AuthError invalid_dpop_proof (or use_dpop_nonce) on any failure.
 */
export async function verifyDpopProof(check: DpopProofCheck): Promise<DpopProof> {
  const algorithms = [...(check.algorithms ?? DEFAULT_DPOP_ALGS)];
  const maxAge = check.maxAge ?? 60;
  const tolerance = check.clockTolerance ?? 5;
  const now = check.now ?? Date.now();
  const { proof } = check;
  if (proof.length > MAX_PROOF_LENGTH || proof.split(".").length !== 3) throw invalid("is not a JWT");

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid("has a malformed header");
  }
  // RFC 9449 §4.3 step 4, RFC 8725 §3.11: typed for this role only (jwt-roles.ts names it too).
  if (typeof header.typ !== "string" || header.typ.toLowerCase() !== "dpop+jwt") throw invalid('must be typed "dpop+jwt"');
  const algRefusal = dpopAlgRefusal(header.alg, algorithms);
  if (algRefusal) throw invalid(algRefusal);
  const jwkRefusal = dpopJwkRefusal(header.jwk);
  if (jwkRefusal) throw invalid(jwkRefusal);
  const jwk = header.jwk as JWK;

  let payload: JWTPayload;
  try {
    // RFC 9449 §4.3 step 6: the signature by the embedded key; iat is checked below with its own window.
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      algorithms,
      typ: "dpop+jwt",
      currentDate: new Date(now),
      requiredClaims: ["jti", "htm", "htu", "iat"],
    }));
  } catch (e) {
    throw invalid(`is invalid: ${(e as Error).message}`);
  }
  const claims = payload as JWTPayload & Record<string, unknown>;
  const claimsRefusal = dpopClaimsRefusal(claims, { method: check.method, url: check.url });
  if (claimsRefusal) throw invalid(claimsRefusal);
  const iatRefusal = dpopIatRefusal(claims.iat, now, maxAge, tolerance);
  if (iatRefusal) throw invalid(iatRefusal);

  if (check.nonce) {
    const accepted = await check.nonce.check(typeof claims.nonce === "string" ? claims.nonce : undefined);
    if (!accepted) {
      throw new AuthError("use_dpop_nonce", "the DPoP proof must carry the server's nonce", { scheme: "DPoP", dpopNonce: await check.nonce.issue() });
    }
  }

  if (check.accessToken !== undefined) {
    const refusal = athRefusal(claims.ath, await sha256Base64url(check.accessToken));
    if (refusal) throw invalid(refusal);
  }

  const jkt = await calculateJwkThumbprint(jwk, "sha256");
  if (check.jkt !== undefined && !sameDpopKey(check.jkt, jkt))
    throw new AuthError("invalid_token", "the access token is bound to another DPoP key", { scheme: "DPoP" });

  const replay = check.replay === undefined ? defaultReplayCache : check.replay;
  if (replay) {
    if (!(await replay.use(`${jkt}:${claims.jti}`, dpopReplayExpiry(claims.iat as number, maxAge, tolerance)))) throw invalid("was already used");
  }
  return { jkt, jwk, alg: header.alg as string, jti: claims.jti as string, iat: claims.iat as number, htm: claims.htm as string, htu: claims.htu as string };
}

/**
 * RFC 9449 §8-9: server nonces that need no storage: HMAC-SHA-256 of a time step of `window`
 * seconds (60 by default) under `secret`, the current and the previous step's accepted (so a
 * nonce is good for one to two windows). Every isolate, and every Worker sharing the secret (the
 * OP and the APIs it serves), hands out and accepts the same nonces.
 */
export function hmacNonces(options: { secret: string; window?: number; clock?: () => number }): DpopNonceHook & { current(): Promise<string> } {
  const window = options.window ?? 60;
  const clock = options.clock ?? Date.now;
  // The imported key, not the promise: the hook may serve many requests, and none should await another's.
  let key: CryptoKey | undefined;
  const nonceOf = async (step: number) => {
    key ??= await crypto.subtle.importKey("raw", new TextEncoder().encode(options.secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`dpop-nonce:${step}`));
    return base64url(new Uint8Array(mac));
  };
  const current = () => nonceOf(nonceStep(clock(), window));
  return {
    current,
    issue: current,
    async check(nonce) {
      if (nonce === undefined || nonce.length !== 43) return false;
      for (const step of acceptedNonceSteps(clock(), window)) if (sameDpopKey(await nonceOf(step), nonce)) return true;
      return false;
    },
  };
}
