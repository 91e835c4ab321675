import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { buildWorker } from "./scripts/build-workers.mjs";
import { WORKERS } from "./scripts/workers.mjs";
import { TEST_RESOURCES } from "./test/support/test-resources";

/**
 * In-runtime tests: op-auth (root wrangler.toml) is the Worker under test and hosts the
 * Durable Objects; op-token, op-discovery and op-management run beside it as auxiliary
 * Workers built from their own wrangler.toml, exactly as `wrangler dev` wires them.
 */
const PROJECT = "workers";
// The plugin renames the Worker under test to this runner name; siblings' script_name must follow.
const RUNNER = `vitest-plugin-runner-${PROJECT}`;
// Fixed here (test/workers/helpers.ts repeats them), whatever a developer's .dev.vars says.
const TEST_VARS = {
  ISSUER: "http://localhost:8787",
  ADMIN_TOKEN: "test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz",
  CLIENT_SECRET_ENCRYPTION_KEY: "test-client-secret-encryption-key-0123456789",
  PAIRWISE_SALT: "test-pairwise-salt-0123456789abcdefghijklmnop",
  // Every other limit is the default. Registration's (20/1h per address) is not: nearly every test
  // registers its own clients, and the registration fuzz hundreds, all from the in-process
  // address "local". test/workers/rate-limiting.test.ts checks the limit itself.
  RATE_LIMIT_REGISTER_IP: "1000/1h",
  // The production policy: a client gets only what the operator grants (tests grant through the
  // admin API), for the resources configured here or registered by a test.
  CLIENT_GRANTS_DEFAULT: "none",
  RESOURCES: JSON.stringify(TEST_RESOURCES),
  // RFC 9449 server nonces at the token, PAR and userinfo endpoints: the strictest setting, so every
  // DPoP test goes through the nonce challenge (test/workers/dpop.test.ts); the tests sign old
  // nonces with this secret.
  DPOP_NONCE: "all",
  DPOP_NONCE_SECRET: "test-dpop-nonce-secret-0123456789abcdefghij",
  // Every Worker sees an admin change at once (test/workers/resource-registry.test.ts checks the bound itself).
  RESOURCE_CACHE_TTL: "0",
};

function auxiliaryWorker(worker: { name: string; config: string }) {
  const { workerOptions: w } = unstable_getMiniflareWorkerOptions(worker.config);
  const durableObjects = Object.fromEntries(
    Object.entries(w.durableObjects ?? {}).map(([binding, d]) => [binding, { ...(d as { className: string }), scriptName: RUNNER }]),
  );
  return {
    name: worker.name,
    modules: true,
    scriptPath: buildWorker(worker),
    compatibilityDate: w.compatibilityDate,
    compatibilityFlags: w.compatibilityFlags,
    bindings: { ...(w.bindings as Record<string, unknown>), ...TEST_VARS },
    kvNamespaces: w.kvNamespaces,
    durableObjects,
    serviceBindings: w.serviceBindings,
  };
}

export default defineConfig({
  plugins: [
    cloudflareTest(() => ({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: TEST_VARS,
        // biome-ignore lint/suspicious/noExplicitAny: wrangler's option types are looser than the plugin's; miniflare validates them at start.
        workers: WORKERS.filter((w) => w.name !== "op-auth").map(auxiliaryWorker) as any[],
      },
    })),
  ],
  test: {
    name: PROJECT,
    include: ["test/workers/**/*.test.ts"],
    // Client documents the OP fetches (sector_identifier_uri, …), served from Node over loopback.
    globalSetup: ["test/setup/document-server.ts"],
    testTimeout: 30_000,
  },
});
