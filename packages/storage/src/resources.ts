import { getConfig, isolateCache, type RegisteredResource } from "@op/core";
import { mergeRegistry } from "@op/rules";
import { DEFAULT_REALM, resourceRegistryObject } from "./durable-objects/resource-registry";
import type { Env } from "./env";

/**
 * This isolate's copy of the resource registry, per realm (one today), reused for
 * RESOURCE_CACHE_TTL seconds (default 10; 0 asks the Durable Object every time): an admin change
 * reaches every Worker within that bound, and a token request costs no Durable Object call while
 * the copy is fresh. A failed read is not kept: the next request asks again.
 */
const copies = isolateCache<string, RegisteredResource[]>({ name: "resource registry", maxEntries: 16, maxAgeMs: Number.POSITIVE_INFINITY });

export function resourceRegistry(env: Pick<Env, "RESOURCE_REGISTRY" | "ISSUER" | "ENVIRONMENT">, now = Date.now()): Promise<RegisteredResource[]> {
  const config = getConfig(env);
  return copies.getOrLoad(DEFAULT_REALM, async () => mergeRegistry(config.configuredResources, await resourceRegistryObject(env).list()), {
    now,
    maxAgeMs: () => config.resourceCacheTtl * 1000,
  });
}

/** Drops this isolate's copy (after an admin write, so the Worker that made it sees it at once). */
export function forgetResourceRegistry(): void {
  copies.clear();
}
