import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: a plain Node process drives the four Workers started for real with
 * `wrangler dev` (test/e2e/global-setup.ts) through openid-client, over HTTP.
 */
export default defineConfig({
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: "test/e2e/global-setup.ts",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
