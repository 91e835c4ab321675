import { DurableObject } from "cloudflare:workers";
import { MAX_RESOURCES, type ResourceServer, ResourceServerSchema } from "@op/core";
import type { Env } from "../env";

/** All records together stay small enough to copy into every isolate (resources.ts caches them). */
export const MAX_REGISTRY_BYTES = 2 * 1024 * 1024;

export type RegistryWriteResult =
  | { status: "ok"; resource: ResourceServer }
  | { status: "exists" }
  | { status: "not_found" }
  | { status: "identifier_taken"; identifier: string; by: string }
  | { status: "full" };

/**
 * The operator's resource servers (the admin API's; RESOURCES adds read-only ones outside this
 * object). One object per realm holds the whole registry: it is small, read as a whole by every
 * token request (through a per-isolate copy), and its invariant, one resource per id and per
 * identifier, spans all records, so each write checks and applies it in one synchronous step.
 */
export class ResourceRegistry extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`
      CREATE TABLE IF NOT EXISTS resources (id TEXT PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS resource_identifiers (identifier TEXT PRIMARY KEY, resource_id TEXT NOT NULL);
    `);
  }

  list(): ResourceServer[] {
    return this.ctx.storage.sql
      .exec<{ record: string }>("SELECT record FROM resources ORDER BY id")
      .toArray()
      .map((row) => ResourceServerSchema.parse(JSON.parse(row.record)));
  }

  get(id: string): ResourceServer | null {
    const row = this.ctx.storage.sql.exec<{ record: string }>("SELECT record FROM resources WHERE id = ?", id).toArray()[0];
    return row ? ResourceServerSchema.parse(JSON.parse(row.record)) : null;
  }

  create(input: ResourceServer): RegistryWriteResult {
    const resource = ResourceServerSchema.parse(input);
    if (this.get(resource.id)) return { status: "exists" };
    const count = this.ctx.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM resources").one().n;
    if (count >= MAX_RESOURCES) return { status: "full" };
    return this.write(resource);
  }

  /** Replaces a resource whole (its identifiers too). */
  replace(id: string, input: ResourceServer): RegistryWriteResult {
    const resource = ResourceServerSchema.parse(input);
    if (resource.id !== id) throw new Error("a resource keeps its id");
    if (!this.get(id)) return { status: "not_found" };
    return this.write(resource);
  }

  delete(id: string): boolean {
    const found = this.ctx.storage.sql.exec("SELECT 1 FROM resources WHERE id = ?", id).toArray().length > 0;
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("DELETE FROM resource_identifiers WHERE resource_id = ?", id);
      this.ctx.storage.sql.exec("DELETE FROM resources WHERE id = ?", id);
    });
    return found;
  }

  /** Checks that no other resource holds one of the identifiers and that the registry stays within its size, then writes, in one step. */
  private write(resource: ResourceServer): RegistryWriteResult {
    const sql = this.ctx.storage.sql;
    for (const identifier of resource.identifiers) {
      const owner = sql.exec<{ resource_id: string }>("SELECT resource_id FROM resource_identifiers WHERE identifier = ?", identifier).toArray()[0];
      if (owner && owner.resource_id !== resource.id) return { status: "identifier_taken", identifier, by: owner.resource_id };
    }
    const record = JSON.stringify(resource);
    const others = sql.exec<{ bytes: number | null }>("SELECT SUM(LENGTH(record)) AS bytes FROM resources WHERE id != ?", resource.id).one().bytes ?? 0;
    if (others + record.length > MAX_REGISTRY_BYTES) return { status: "full" };
    this.ctx.storage.transactionSync(() => {
      sql.exec("DELETE FROM resource_identifiers WHERE resource_id = ?", resource.id);
      sql.exec("INSERT OR REPLACE INTO resources (id, record) VALUES (?, ?)", resource.id, record);
      for (const identifier of resource.identifiers)
        sql.exec("INSERT INTO resource_identifiers (identifier, resource_id) VALUES (?, ?)", identifier, resource.id);
    });
    return { status: "ok", resource };
  }
}

/** The registry is one per realm; this deployment has the one realm `default` (a name kept so that realms need no migration). */
export const DEFAULT_REALM = "default";

export function resourceRegistryObject(env: Pick<Env, "RESOURCE_REGISTRY">, realm = DEFAULT_REALM) {
  return env.RESOURCE_REGISTRY.get(env.RESOURCE_REGISTRY.idFromName(`resources:${realm}`));
}
