#!/usr/bin/env node
// The whole test suite: type checks, in-runtime tests (Workers + Durable Objects), the
// end-to-end tests against `wrangler dev`, then the conformance runner. Stops at the first
// failing stage and ends with one summary line, "tests: N passed, N failed", counted from
// vitest's JSON reports and conformance/results/latest.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { root, wranglerEnv } from "./workers.mjs";

const reports = mkdtempSync(path.join(tmpdir(), "op-test-"));
const vitest = (config, name) => [
  "vitest",
  "run",
  "--config",
  config,
  "--reporter=default",
  "--reporter=json",
  `--outputFile.json=${path.join(reports, `${name}.json`)}`,
];
const stages = [
  // Formatting and lint rules (biome.json), as the editors apply them.
  ["lint", ["biome", "ci", "--error-on-warnings", "."]],
  // Every spec rule (packages/rules) has a test naming it, and docs/rules.md lists them (scripts/rules-index.mjs).
  ["rules index", ["node", "scripts/rules-index.mjs", "--check"]],
  // No import cycle between modules or packages (scripts/structure-check.mjs).
  ["structure", ["node", "scripts/structure-check.mjs"]],
  ["typecheck (Workers)", ["tsc", "-p", "tsconfig.json"]],
  ["typecheck (Node)", ["tsc", "-p", "tsconfig.node.json"]],
  ["workers", vitest("vitest.workers.config.ts", "workers")],
  ["e2e", vitest("vitest.e2e.config.ts", "e2e")],
  // The OpenID conformance plans, module by module (conformance/run.mjs, docs/conformance.md).
  ["conformance", ["node", "conformance/run.mjs"]],
];
const conformanceResults = path.join(root, "conformance", "results", "latest.json");
const stageStart = new Map();

const totals = { passed: 0, failed: 0, skipped: 0 };
function count(name) {
  if (name === "conformance") {
    // Only a results file this run wrote (a crash before writing must not count an old one).
    if (!existsSync(conformanceResults) || statSync(conformanceResults).mtimeMs < stageStart.get(name)) return;
    const r = JSON.parse(readFileSync(conformanceResults, "utf8"));
    totals.passed += r.passed;
    totals.failed += r.failed;
    totals.skipped += r.notApplicable; // modules that cannot apply, each with its reason in the table
    return;
  }
  const file = path.join(reports, `${name}.json`);
  if (!existsSync(file)) return;
  const r = JSON.parse(readFileSync(file, "utf8"));
  totals.passed += r.numPassedTests;
  totals.failed += r.numFailedTests;
  totals.skipped += r.numPendingTests + r.numTodoTests;
}

let status = 0;
for (const [name, [cmd, ...args]] of stages) {
  console.log(`\n=== ${name}: ${cmd} ${args.slice(0, 3).join(" ")}`);
  stageStart.set(name, Date.now());
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: wranglerEnv() });
  count(name);
  if (r.status !== 0) {
    console.error(`\n${name} failed`);
    status = r.status ?? 1;
    if (totals.failed === 0) totals.failed = 1; // a stage that failed without a failing test (type error, start-up)
    break;
  }
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(status);
