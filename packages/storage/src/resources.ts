import { getConfig, type RegisteredResource } from "@op/core";
import { mergeRegistry } from "@op/rules";
import { DEFAULT_REALM, resourceRegistryObject } from "./durable-objects/resource-registry";
import type { Env } from "./env";

/**
 * This isolate's copy of the resource registry, per realm (one today), reused for
 * RESOURCE_CACHE_TTL seconds (default 10; 0 asks the Durable Object every time): an admin change
 * reaches every Worker within that bound, and a token request costs no Durable Object call while
 * the copy is fresh. Concurrent requests share one read.
 */
const copies = new Map<string, { until: number; registry: Promise<RegisteredResource[]> }>();

export function resourceRegistry(env: Pick<Env, "RESOURCE_REGISTRY" | "ISSUER" | "ENVIRONMENT">, now = Date.now()): Promise<RegisteredResource[]> {
  const config = getConfig(env);
  const copy = copies.get(DEFAULT_REALM);
  if (copy && now < copy.until) return copy.registry;
  // A native promise (not the RPC promise itself, an I/O object of this request): later requests share it.
  const registry = (async () => mergeRegistry(config.configuredResources, await resourceRegistryObject(env).list()))();
  if (config.resourceCacheTtl > 0) {
    copies.set(DEFAULT_REALM, { until: now + config.resourceCacheTtl * 1000, registry });
    // A failed read is not remembered: the next request asks again.
    registry.catch(() => copies.delete(DEFAULT_REALM));
  }
  return registry;
}

/** Drops this isolate's copy (after an admin write, so the Worker that made it sees it at once). */
export function forgetResourceRegistry(): void {
  copies.clear();
}
