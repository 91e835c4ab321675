import { ClientSchema, type Client } from "../schemas/client";
import { clientObject, isPlausibleClientId } from "../durable-objects/client-registration";
import { getConfig } from "../config";
import type { Env } from "../env";

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

export async function authoritativeClient(env: Pick<Env, "CLIENTS">, clientId: string): Promise<Client | null> {
  return isPlausibleClientId(clientId) ? clientObject(env, clientId).get() : null;
}

export async function cacheClient(env: Pick<Env, "CLIENT_CACHE" | "ISSUER" | "ENVIRONMENT">, client: Client): Promise<void> {
  await env.CLIENT_CACHE.put(cacheKey(client.client_id), JSON.stringify(client), { expirationTtl: getConfig(env).ttl.clientCache });
}

export async function uncacheClient(env: Pick<Env, "CLIENT_CACHE">, clientId: string): Promise<void> {
  await env.CLIENT_CACHE.delete(cacheKey(clientId));
}
