import { type AuthenticatedClient, type Client, ClientSchema, getConfig, isolateCache } from "@op/core";
import { clientObject, isPlausibleClientId } from "./durable-objects/client-registration";
import type { Env } from "./env";

/**
 * Two ways to read a client, named by what the answer may be used for. Choosing the cached one
 * where the fresh one is needed lets a deleted client, or a replaced secret, key or redirect
 * URI, keep working for a while: so the rule is
 *
 * - `freshClient`: the client's Durable Object, the record as it is now. For anything that
 *   authenticates the client or grants it something on that basis: client authentication
 *   (token, PAR, introspection, revocation, device authorization), RFC 7592 management and the
 *   admin API. A deleted or changed client is seen at once.
 * - `cachedClient`: a copy at most CACHED_CLIENT_MAX_STALENESS_S behind the object: this
 *   isolate's (≤ CACHED_CLIENT_ISOLATE_MS), else KV's (`CLIENT_CACHE`, refreshed by every write
 *   through registration; KV shows a write everywhere within about a minute, and its edge copy
 *   is read with `cacheTtl` CLIENT_KV_EDGE_TTL_S), else the object, which refills KV (a Worker
 *   without the KV binding, op-token, goes from its isolate to the object). For reads
 *   that shape a page or a response, or check an authorization request before the token
 *   endpoint authenticates the client afresh: the authorization endpoint, login, consent and
 *   device pages, logout, userinfo's format and `sub`.
 */
export const CACHED_CLIENT_ISOLATE_MS = 30_000;
export const CLIENT_KV_EDGE_TTL_S = 60;
export const CACHED_CLIENT_MAX_STALENESS_S = CACHED_CLIENT_ISOLATE_MS / 1000 + CLIENT_KV_EDGE_TTL_S;

const cacheKey = (clientId: string) => `client:${clientId}`;

/** op-token binds no KV (least privilege): there the isolate's copy is backed by the object alone. */
type CachedClientEnv = Pick<Env, "CLIENTS" | "ISSUER" | "ENVIRONMENT"> & Partial<Pick<Env, "CLIENT_CACHE">>;

/** This isolate's copies (an unknown client too, as null), for the clients it served last. */
const cachedClients = isolateCache<string, Client | null>({ name: "clients", maxEntries: 10_000, maxAgeMs: CACHED_CLIENT_ISOLATE_MS });

/**
 * The client as it is now (its Durable Object), with the operator's grants: for authentication,
 * management, and anything that grants.
 */
export async function freshClient(env: Pick<Env, "CLIENTS">, clientId: string): Promise<AuthenticatedClient | null> {
  return isPlausibleClientId(clientId) ? clientObject(env, clientId).get() : null;
}

/** The client at most CACHED_CLIENT_MAX_STALENESS_S behind: for shaping pages and responses, and authorization requests. */
export async function cachedClient(env: CachedClientEnv, clientId: string): Promise<Client | null> {
  if (!isPlausibleClientId(clientId)) return null;
  return cachedClients.getOrLoad(clientId, async () => {
    const kv = env.CLIENT_CACHE;
    if (!kv) return clientObject(env, clientId).get();
    const copy = await kv.get(cacheKey(clientId), { type: "json", cacheTtl: CLIENT_KV_EDGE_TTL_S });
    if (copy) {
      const parsed = ClientSchema.safeParse(copy);
      if (parsed.success) return parsed.data;
    }
    const client = await clientObject(env, clientId).get();
    if (client) await putCopy(kv, env, client);
    return client;
  });
}

/** The client's metadata into KV; never the operator's grants, which only the Durable Object serves. */
const putCopy = (kv: KVNamespace, env: Pick<Env, "ISSUER" | "ENVIRONMENT">, client: Client) => {
  const { operatorGrants: _grants, ...metadata } = client as Client & { operatorGrants?: unknown };
  return kv.put(cacheKey(client.client_id), JSON.stringify(metadata), { expirationTtl: getConfig(env).ttl.clientCache });
};

/** After a write to the client's object: KV gets the new record, and this isolate forgets its copy. */
export async function cacheClient(env: Pick<Env, "CLIENT_CACHE" | "ISSUER" | "ENVIRONMENT">, client: Client): Promise<void> {
  await putCopy(env.CLIENT_CACHE, env, client);
  cachedClients.delete(client.client_id);
}

export async function uncacheClient(env: Pick<Env, "CLIENT_CACHE">, clientId: string): Promise<void> {
  await env.CLIENT_CACHE.delete(cacheKey(clientId));
  cachedClients.delete(clientId);
}
