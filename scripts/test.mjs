#!/usr/bin/env node
// The whole test suite: type check, in-runtime tests (Workers + Durable Objects), then the
// end-to-end tests against `wrangler dev`. Stops at the first failing stage.
import { spawnSync } from "node:child_process";
import { root } from "./workers.mjs";

const stages = [
  ["typecheck (Workers)", ["tsc", "-p", "tsconfig.json"]],
  ["typecheck (Node)", ["tsc", "-p", "tsconfig.node.json"]],
  ["workers", ["vitest", "run", "--config", "vitest.workers.config.ts"]],
  ["e2e", ["vitest", "run", "--config", "vitest.e2e.config.ts"]],
];

for (const [name, [cmd, ...args]] of stages) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  if (r.status !== 0) {
    console.error(`\n${name} failed`);
    process.exit(r.status ?? 1);
  }
}
