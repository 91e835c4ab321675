#!/usr/bin/env node
// Starts the whole OP locally on http://localhost:8787 (or --port N) with `wrangler dev`, all
// Workers in one process. State persists in .wrangler/state across restarts. A development
// ADMIN_TOKEN is generated once into .dev.vars (git-ignored) and printed.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { devArgs, root, stageConfigs, wranglerEnv } from "./workers.mjs";

const args = process.argv.slice(2);
const portIdx = args.indexOf("--port");
const port = portIdx >= 0 ? args[portIdx + 1] : "8787";
const rest = args.filter((_, i) => portIdx < 0 || (i !== portIdx && i !== portIdx + 1));
const issuer = `http://localhost:${port}`;

function devAdminToken() {
  const file = path.join(root, ".dev.vars");
  const existing = existsSync(file) ? /ADMIN_TOKEN=(\S+)/.exec(readFileSync(file, "utf8"))?.[1] : undefined;
  if (existing) return existing;
  const token = randomBytes(32).toString("base64url");
  writeFileSync(file, `ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  return token;
}

const adminToken = devAdminToken();
const configs = stageConfigs(path.join(root, ".wrangler", "dev-configs"), { issuer, adminToken });
console.log(`\nOpenID Provider: ${issuer}/.well-known/openid-configuration`);
console.log("Development user: alice / alice-password");
console.log(`Admin API token (from .dev.vars): ${adminToken}\n`);

const wrangler = spawn("wrangler", [...devArgs(configs, { port, persistTo: path.join(root, ".wrangler", "state") }), ...rest], {
  cwd: root,
  stdio: "inherit",
  env: wranglerEnv(),
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => wrangler.kill(sig));
wrangler.on("exit", (code) => process.exit(code ?? 0));
