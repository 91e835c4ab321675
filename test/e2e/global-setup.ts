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
  const op = await startLocalOp({ tmpPrefix: "op-e2e-", vars: { RATE_LIMIT_REGISTER_IP: "500/1h" } });
  project.provide("issuer", op.issuer);
  return op.stop;
}
