#!/usr/bin/env node
// Deploys the four Workers with `wrangler deploy`. op-auth hosts the Durable Objects the others
// bind (script_name) and binds the others as services, so a first deployment goes in three
// steps: op-auth without its service bindings, then the siblings, then op-auth complete.
// Usage: ISSUER=https://op.example.com node scripts/deploy.mjs [--first] [--conformance]
// --conformance: a throw-away deployment for the OpenID conformance suite (docs/conformance.md).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { root, WORKERS } from "./workers.mjs";

const issuer = process.env.ISSUER;
if (!issuer?.startsWith("https://")) {
  console.error("Set ISSUER to the https origin relying parties will use.");
  process.exit(2);
}
// The suite needs a user to sign in as and open registration (it registers its own clients in the
// Dynamic plan), which only development mode gives; never deploy that where real users sign in.
const conformance = process.argv.includes("--conformance");
const mode = conformance
  ? // TLS_CLIENT_AUTH=false: a public deployment must not trust the development certificate header.
    ["ENVIRONMENT:development", "DEV_SEED_USERS:true", "RATE_LIMIT_REGISTER_IP:1000/1h", "TLS_CLIENT_AUTH:false"]
  : ["ENVIRONMENT:production", "DEV_SEED_USERS:false"];
const vars = [`ISSUER:${issuer}`, ...mode].flatMap((v) => ["--var", v]);
if (conformance)
  console.warn("Deploying a CONFORMANCE TEST OP: development mode, seeded user alice/alice-password, open registration, no client certificates.");

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
// A class a migration adds (v7: ResourceRegistry) must exist in op-auth before a sibling binds
// it, so op-auth goes first. (Migration v6 deleted a class and needed the reverse order: a
// deployment from before v6 deploys once with that release's script first.)
if (!process.argv.includes("--first")) deploy(WORKERS[0].config);
for (const w of WORKERS.filter((w) => w.name !== "op-auth")) deploy(w.config);
if (process.argv.includes("--first")) deploy(WORKERS[0].config);
