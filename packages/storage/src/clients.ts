import { type AuthenticatedClient, type Client, ClientSchema, getConfig } from "@op/core";
import { clientObject, isPlausibleClientId } from "./durable-objects/client-registration";
import type { Env } from "./env";

const cacheKey = (clientId: string) => `client:${clientId}`;

/**
 * Client metadata for the authorization endpoint: KV first (read-mostly, eventually
 * consistent), then the client's Durable Object, which refills KV. Credential checks never use
 * this path: they ask the Durable Object (`authoritativeClient`).
 */
export async function getClient(env: Pick<Env, "CLIENTS" | "CLIENT_CACHE" | "ISSUER" | "ENVIRONMENT">, clientId: string): Promise<Client | null> {
  if (!isPlausibleClientId(clientId)) return null;
  const cached = await env.CLIENT_CACHE.get(cacheKey(clientId), { type: "json", cacheTtl: 60 });
  if (cached) {
    const parsed = ClientSchema.safeParse(cached);
    if (parsed.success) return parsed.data;
  }
  const client = await clientObject(env, clientId).get();
  if (client) await cacheClient(env, client);
  return client;
}

/** The client with the operator's grants, from its Durable Object (client authentication, the admin API). */
export async function authoritativeClient(env: Pick<Env, "CLIENTS">, clientId: string): Promise<AuthenticatedClient | null> {
  return isPlausibleClientId(clientId) ? clientObject(env, clientId).get() : null;
}

/**
 * Client metadata remembered in this isolate for up to a minute, the staleness KV's edge cache
 * already allows (`cacheTtl: 60`): for reads that only shape a response (userinfo's format and
 * the `sub` a client sees), never for credentials, which always ask the Durable Object.
 */
const recentClients = new Map<string, { until: number; client: Client | null }>();
const RECENT_CLIENT_MS = 60_000;

export async function recentClient(env: Pick<Env, "CLIENTS">, clientId: string, now = Date.now()): Promise<Client | null> {
  const hit = recentClients.get(clientId);
  if (hit && now < hit.until) return hit.client;
  const client = await authoritativeClient(env, clientId);
  if (recentClients.size >= 10_000) recentClients.clear();
  recentClients.set(clientId, { until: now + RECENT_CLIENT_MS, client });
  return client;
}

/** The client's metadata into KV; never the operator's grants, which only the Durable Object serves. */
export async function cacheClient(env: Pick<Env, "CLIENT_CACHE" | "ISSUER" | "ENVIRONMENT">, client: Client): Promise<void> {
  const { operatorGrants: _grants, ...metadata } = client as Client & { operatorGrants?: unknown };
  await env.CLIENT_CACHE.put(cacheKey(client.client_id), JSON.stringify(metadata), { expirationTtl: getConfig(env).ttl.clientCache });
}

export async function uncacheClient(env: Pick<Env, "CLIENT_CACHE">, clientId: string): Promise<void> {
  await env.CLIENT_CACHE.delete(cacheKey(clientId));
}
