import { type Client, OAuthError, PublicJwksSchema } from "@op/core";
import { clientDocuments, DocumentUnavailable, type Env } from "@op/storage";
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

/**
 * Keys of clients that publish a jwks_uri, fetched through the one client-document fetcher
 * (storage/client-documents.ts: the SSRF guard, the client's fetch budget, no redirects, size
 * and time limits) and kept per isolate for the set's Cache-Control max-age within [30 s,
 * 10 min] (10 min without one; no-store: not kept). A key id we have not seen makes us fetch
 * the set again (the client rotated), but such refetches of one set are spaced, so forged
 * assertions with random kids cannot turn the OP into a request amplifier.
 */
const UNKNOWN_KID_REFETCH_SPACING_MS = 10_000;

interface KeySet {
  /** When a kid this set lacks last made us fetch it again (0: never). */
  unknownKidRefetchAt: number;
  kids: Set<string | undefined>;
  keys: JWTVerifyGetKey;
  jwks: JSONWebKeySet;
}

const keySets = clientDocuments<KeySet>({
  member: "jwks_uri",
  accept: "application/jwk-set+json, application/json",
  maxBytes: () => 64 * 1024,
  lifetime: { defaultMs: 10 * 60_000, minMs: 30_000, maxMs: 10 * 60_000 },
  maxEntries: 100,
  parse(text) {
    const jwks = PublicJwksSchema.parse(JSON.parse(text)) as JSONWebKeySet;
    return { unknownKidRefetchAt: 0, kids: new Set(jwks.keys.map((k) => k.kid)), keys: createLocalJWKSet(jwks), jwks };
  },
});

type JwksClient = Pick<Client, "client_id" | "jwks" | "jwks_uri">;

/** The kept set; `kid` null means no particular key is wanted, so no refetch for it. */
async function keySet(env: Env, client: JwksClient & { jwks_uri: string }, kid: string | undefined | null): Promise<KeySet> {
  const opts = { clientId: client.client_id };
  const set = await keySets.get(env, client.jwks_uri, opts);
  const now = Date.now();
  if (kid === null || set.kids.has(kid) || now - set.unknownKidRefetchAt < UNKNOWN_KID_REFETCH_SPACING_MS) return set;
  set.unknownKidRefetchAt = now; // marked before the refetch, so a failing one is spaced too
  const fetched = await keySets.get(env, client.jwks_uri, { ...opts, reload: true });
  fetched.unknownKidRefetchAt = now;
  return fetched;
}

/**
 * The keys that verify a JWT the client signed (`kid` from its header): the inline jwks, or the
 * jwks_uri's through the fetcher above; undefined when the client registered no keys.
 */
export async function clientVerificationKeys(env: Env, client: JwksClient, kid: string | undefined): Promise<JWTVerifyGetKey | undefined> {
  if (client.jwks) return createLocalJWKSet(client.jwks as JSONWebKeySet);
  return client.jwks_uri ? (await keySet(env, { ...client, jwks_uri: client.jwks_uri }, kid)).keys : undefined;
}

/** A failed verification that was not the JWT's fault (jwks_uri refused or unreachable, bad document) is worth a log line. */
export function warnIfClientKeysUnavailable(err: unknown, clientId: string): void {
  if (err instanceof errors.JOSEError || err instanceof OAuthError) return;
  const error = err instanceof DocumentUnavailable ? `${err.message}: ${err.reason}` : String(err);
  console.warn(JSON.stringify({ level: "warn", message: "client keys unavailable", clientId, error }));
}

/** The client's key set as a document (inline jwks, or its jwks_uri through the same fetcher), e.g. for encryption keys. */
export async function clientJwksDocument(env: Env, client: JwksClient): Promise<JSONWebKeySet | undefined> {
  if (client.jwks) return client.jwks as JSONWebKeySet;
  return client.jwks_uri ? (await keySet(env, { ...client, jwks_uri: client.jwks_uri }, null)).jwks : undefined;
}
