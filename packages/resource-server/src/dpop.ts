import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, type JWTPayload, jwtVerify } from "jose";
import { sha256Base64url, timingSafeEqual } from "./encoding";
import { AuthError } from "./errors";

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
  /** Accepted proof algorithms; default every asymmetric one (ASYMMETRIC_ALGS). */
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

const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"];
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 512;

const invalid = (description: string) => new AuthError("invalid_dpop_proof", description, { scheme: "DPoP" });

/**
 * RFC 9449 §4.3: checks one DPoP proof (typ, alg, embedded public key, signature, htm, htu,
 * iat, nonce, ath and the key's thumbprint), and only then records its jti against replay.
 * Throws AuthError invalid_dpop_proof (or use_dpop_nonce) on any failure.
 */
export async function verifyDpopProof(check: DpopProofCheck): Promise<DpopProof> {
  const algorithms = [...(check.algorithms ?? ASYMMETRIC_ALGS)];
  const maxAge = check.maxAge ?? 60;
  const tolerance = check.clockTolerance ?? 5;
  const now = check.now ?? Date.now();
  const { proof } = check;
  if (proof.length > MAX_PROOF_LENGTH || proof.split(".").length !== 3) throw invalid("the DPoP proof is not a JWT");

  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid("the DPoP proof's header is malformed");
  }
  if (typeof header.typ !== "string" || header.typ.toLowerCase() !== "dpop+jwt") throw invalid('the DPoP proof\'s typ must be "dpop+jwt"');
  if (typeof header.alg !== "string" || !algorithms.includes(header.alg)) throw invalid(`the DPoP proof's alg must be one of ${algorithms.join(" ")}`);
  const jwk = header.jwk;
  if (!jwk || typeof jwk !== "object" || Array.isArray(jwk)) throw invalid("the DPoP proof must carry its public key in jwk");
  if (!["EC", "RSA", "OKP"].includes(jwk.kty as string)) throw invalid("the DPoP proof's jwk must be an asymmetric public key");
  if (PRIVATE_JWK_MEMBERS.some((m) => m in jwk)) throw invalid("the DPoP proof's jwk must not contain a private key");

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      algorithms,
      typ: "dpop+jwt",
      currentDate: new Date(now),
      maxTokenAge: maxAge,
      clockTolerance: tolerance,
      requiredClaims: ["jti", "htm", "htu", "iat"],
    }));
  } catch (e) {
    throw invalid(`the DPoP proof is invalid: ${(e as Error).message}`);
  }
  const { jti, htm, htu, ath, nonce, iat } = payload as JWTPayload & Record<string, unknown>;
  if (typeof jti !== "string" || !jti || jti.length > MAX_JTI_LENGTH) throw invalid("the DPoP proof's jti must be a string");
  if (typeof htm !== "string" || htm !== check.method) throw invalid("the DPoP proof's htm does not match the request's method");
  if (typeof htu !== "string") throw invalid("the DPoP proof's htu must be a string");
  const expectedUrl = normalizeHtu(check.url);
  const proofUrl = normalizeHtu(htu);
  if (!expectedUrl || !proofUrl || proofUrl !== expectedUrl) throw invalid("the DPoP proof's htu does not match the request's URL");

  if (check.nonce) {
    const accepted = await check.nonce.check(typeof nonce === "string" ? nonce : undefined);
    if (!accepted) {
      throw new AuthError("use_dpop_nonce", "the DPoP proof must carry the server's nonce", { scheme: "DPoP", dpopNonce: await check.nonce.issue() });
    }
  }

  if (check.accessToken !== undefined) {
    if (typeof ath !== "string") throw invalid("the DPoP proof must carry ath, the access token's hash");
    if (!timingSafeEqual(ath, await sha256Base64url(check.accessToken))) throw invalid("the DPoP proof's ath does not match the access token");
  }

  const jkt = await calculateJwkThumbprint(jwk as JWK, "sha256");
  if (check.jkt !== undefined && !timingSafeEqual(jkt, check.jkt))
    throw new AuthError("invalid_token", "the access token is bound to another DPoP key", { scheme: "DPoP" });

  const replay = check.replay === undefined ? defaultReplayCache : check.replay;
  if (replay) {
    const expiresAt = ((iat as number) + maxAge + tolerance) * 1000;
    if (!(await replay.use(`${jkt}:${jti}`, expiresAt))) throw invalid("the DPoP proof was already used");
  }
  return { jkt, jwk: jwk as JWK, alg: header.alg, jti, iat: iat as number, htm, htu };
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
