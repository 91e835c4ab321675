import { createLocalJWKSet, type FlattenedJWSInput, type JWK, type JWSHeaderParameters } from "jose";
import { UpstreamError } from "./errors";
import { type CacheBounds, cacheLifetime, DocumentCache, type FetchLike, fetchJson } from "./remote";

/** Resolves the key a JWS header names (jose's JWTVerifyGetKey shape). */
export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export interface RemoteJwksOptions extends Partial<CacheBounds> {
  fetch?: FetchLike;
  /** Least time between two fetches made because a token named an unknown kid (seconds, default 15). */
  cooldown?: number;
  /** Time allowed for one fetch (milliseconds, default 5000). */
  timeout?: number;
  /** Milliseconds since the epoch (tests). */
  clock?: () => number;
}

interface KeySet {
  kids: Set<string>;
  resolve: ReturnType<typeof createLocalJWKSet>;
}

const keySets = new DocumentCache<KeySet>();

/** Forgets every cached key set of this isolate (tests). */
export const clearJwksCache = () => keySets.clear();

export const DEFAULT_JWKS_BOUNDS: CacheBounds = { minTtl: 30, maxTtl: 600, defaultTtl: 300 };
const PUBLIC_KTY = ["EC", "RSA", "OKP"];
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/**
 * The verification keys at `url`, cached per isolate for the Cache-Control max-age the server
 * sends, kept within bounds (30 s to 10 min by default). A token whose kid is not in the cached
 * set makes one refetch, at most one per `cooldown` seconds, so a key published ahead of its use
 * is found at once and random kids cannot make the kit hammer the server. A failed refresh keeps
 * the keys it had; with none at all it is an UpstreamError (503), never an invalid token.
 */
export function remoteJwks(url: string, options: RemoteJwksOptions = {}): KeyResolver {
  const fetcher = options.fetch ?? ((r: Request) => fetch(r));
  const bounds: CacheBounds = {
    minTtl: options.minTtl ?? DEFAULT_JWKS_BOUNDS.minTtl,
    maxTtl: options.maxTtl ?? DEFAULT_JWKS_BOUNDS.maxTtl,
    defaultTtl: options.defaultTtl ?? DEFAULT_JWKS_BOUNDS.defaultTtl,
  };
  const cooldownMs = (options.cooldown ?? 15) * 1000;
  const clock = options.clock ?? Date.now;
  const load = async () => {
    const { body, response } = await fetchJson(fetcher, url, "application/jwk-set+json, application/json", options.timeout ?? 5000);
    const keys = (body as { keys?: unknown })?.keys;
    if (!Array.isArray(keys)) throw new UpstreamError(`${url} is not a JWK Set`);
    // Verification keys only: the OP's set also holds its encryption keys (use "enc").
    const usable = keys.filter(
      (k): k is JWK =>
        !!k &&
        typeof k === "object" &&
        PUBLIC_KTY.includes((k as JWK).kty as string) &&
        ((k as JWK).use === undefined || (k as JWK).use === "sig") &&
        !PRIVATE_MEMBERS.some((m) => m in k),
    );
    const set: KeySet = {
      kids: new Set(usable.map((k) => k.kid).filter((k): k is string => typeof k === "string")),
      resolve: createLocalJWKSet({ keys: usable }),
    };
    return { value: set, ttl: cacheLifetime(response, bounds) };
  };
  return async (header, token) => {
    const now = clock();
    let set = await keySets.get(url, load, now);
    if (typeof header.kid === "string" && !set.kids.has(header.kid)) set = await keySets.get(url, load, now, cooldownMs);
    return set.resolve(header, token);
  };
}
