import { type Client, fetchBoundedDocument, OAuthError, PublicJwksSchema } from "@op/core";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/**
 * Keys of clients that publish a jwks_uri, cached per isolate. A key id we have not seen makes
 * us fetch the set again once (the client rotated), but such refetches are spaced, so forged
 * assertions with random kids cannot turn the OP into a request amplifier.
 */
const CACHE_MS = 10 * 60_000;
const UNKNOWN_KID_REFETCH_SPACING_MS = 10_000;
const MAX_BYTES = 64 * 1024;

interface Entry {
  fetchedAt: number;
  lastUnknownKidRefetch: number;
  kids: Set<string | undefined>;
  keys: JWTVerifyGetKey;
  jwks: JSONWebKeySet;
}
const cache = new Map<string, Entry>();

async function fetchJwks(uri: string): Promise<Entry> {
  const text = await fetchBoundedDocument(uri, { accept: "application/json", maxBytes: MAX_BYTES });
  const jwks = PublicJwksSchema.parse(JSON.parse(text)) as JSONWebKeySet;
  return { fetchedAt: Date.now(), lastUnknownKidRefetch: 0, kids: new Set(jwks.keys.map((k) => k.kid)), keys: createLocalJWKSet(jwks), jwks };
}

/** The cached set; `kid` null means no particular key is wanted, so no refetch for it. */
async function cachedEntry(uri: string, kid: string | undefined | null): Promise<Entry> {
  const now = Date.now();
  let entry = cache.get(uri);
  if (!entry || now - entry.fetchedAt > CACHE_MS) {
    entry = await fetchJwks(uri);
    cache.set(uri, entry);
  } else if (kid !== null && !entry.kids.has(kid) && now - entry.lastUnknownKidRefetch > UNKNOWN_KID_REFETCH_SPACING_MS) {
    const previous = entry;
    entry = await fetchJwks(uri);
    entry.lastUnknownKidRefetch = now;
    cache.set(uri, entry);
    if (!entry.kids.has(kid)) entry.kids = new Set([...entry.kids, ...previous.kids]);
  }
  return entry;
}

/** Verification keys of a client's jwks_uri, for a JWT whose header names `kid`. */
export async function clientJwksFromUri(uri: string, kid: string | undefined): Promise<JWTVerifyGetKey> {
  return (await cachedEntry(uri, kid)).keys;
}

/**
 * The keys that verify a JWT the client signed (`kid` from its header): the inline jwks, or the
 * jwks_uri's through the cache above; undefined when the client registered no keys.
 */
export async function clientVerificationKeys(client: Pick<Client, "jwks" | "jwks_uri">, kid: string | undefined): Promise<JWTVerifyGetKey | undefined> {
  if (client.jwks) return createLocalJWKSet(client.jwks as JSONWebKeySet);
  return client.jwks_uri ? clientJwksFromUri(client.jwks_uri, kid) : undefined;
}

/** A failed verification that was not the JWT's fault (jwks_uri unreachable, bad document) is worth a log line. */
export function warnIfClientKeysUnavailable(err: unknown, clientId: string): void {
  if (err instanceof errors.JOSEError || err instanceof OAuthError) return;
  console.warn(JSON.stringify({ level: "warn", message: "client keys unavailable", clientId, error: String(err) }));
}

/** The client's key set as a document (inline jwks, or its jwks_uri through the same cache), e.g. for encryption keys. */
export async function clientJwksDocument(client: Client): Promise<JSONWebKeySet | undefined> {
  if (client.jwks) return client.jwks as JSONWebKeySet;
  return client.jwks_uri ? (await cachedEntry(client.jwks_uri, null)).jwks : undefined;
}
