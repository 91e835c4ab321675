import type { TestProject } from "vitest/node";
import { startLocalOp } from "../../scripts/local-op.mjs";

/**
 * Starts the four Workers of the OP for real with `wrangler dev` (scripts/local-op.mjs: a free
 * port, throw-away state, staged configs with this run's issuer and secrets) and provides the
 * issuer to the tests (`inject("issuer")`).
 */

declare module "vitest" {
  export interface ProvidedContext {
    issuer: string;
  }
}

export default async function setup(project: TestProject) {
  // Every file registers its own clients from this one address, more than the default 20 per
  // hour meant for people; test/workers/rate-limiting.test.ts checks the limit itself.
  // Two resource servers for the grants without a user (docs/resources.md), configured as an
  // operator would; development's CLIENT_GRANTS_DEFAULT=requested grants clients what they ask of them.
  const resources = [
    {
      id: "api",
      name: "Example API",
      identifiers: ["https://api.example.com/"],
      scopes: [
        { name: "read", description: "Read" },
        { name: "write", description: "Write" },
      ],
      default_scopes: ["read", "write"],
    },
    { id: "downstream", name: "Downstream API", identifiers: ["https://downstream.example.com/"], scopes: [{ name: "read", description: "Read" }] },
  ];
  const op = await startLocalOp({ tmpPrefix: "op-e2e-", vars: { RATE_LIMIT_REGISTER_IP: "500/1h", RESOURCES: JSON.stringify(resources) } });
  project.provide("issuer", op.issuer);
  return op.stop;
}
