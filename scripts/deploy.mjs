#!/usr/bin/env node
// Deploys the four Workers with `wrangler deploy`. op-auth hosts the Durable Objects the others
// bind (script_name) and binds the others as services, so a first deployment goes in three
// steps: op-auth without its service bindings, then the siblings, then op-auth complete.
// Usage: ISSUER=https://op.example.com node scripts/deploy.mjs [--first]
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import path from "node:path";
import { WORKERS, root } from "./workers.mjs";

const issuer = process.env.ISSUER;
if (!issuer?.startsWith("https://")) {
  console.error("Set ISSUER to the https origin relying parties will use.");
  process.exit(2);
}
const vars = ["--var", `ISSUER:${issuer}`, "--var", "ENVIRONMENT:production", "--var", "DEV_SEED_USERS:false"];

function deploy(config) {
  const r = spawnSync("wrangler", ["deploy", "-c", config, ...vars], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (process.argv.includes("--first")) {
  const full = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const withoutServices = full.replace(/\[\[services\]\][^[]*/g, "");
  const tmp = path.join(root, "wrangler.first-deploy.toml");
  writeFileSync(tmp, withoutServices);
  try {
    deploy(path.basename(tmp));
  } finally {
    rmSync(tmp, { force: true });
  }
}
for (const w of WORKERS.filter((w) => w.name !== "op-auth")) deploy(w.config);
deploy(WORKERS[0].config);
