#!/usr/bin/env node
// Starts the whole OP locally on http://localhost:8787 (or --port N) with `wrangler dev`, all
// Workers in one process. State persists in .wrangler/state across restarts. A development
// ADMIN_TOKEN is generated once into .dev.vars (git-ignored) and printed.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEV_SECRET_NAMES, devArgs, root, stageConfigs, wranglerEnv } from "./workers.mjs";

const args = process.argv.slice(2);
const portIdx = args.indexOf("--port");
const port = portIdx >= 0 ? args[portIdx + 1] : "8787";
const rest = args.filter((_, i) => portIdx < 0 || (i !== portIdx && i !== portIdx + 1));
const issuer = `http://localhost:${port}`;

/** Development secrets in .dev.vars (git-ignored): kept across runs, missing ones generated. */
function devSecrets() {
  const file = path.join(root, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const secrets = {};
  for (const name of DEV_SECRET_NAMES) secrets[name] = new RegExp(`^${name}=(\\S+)`, "m").exec(text)?.[1] ?? randomBytes(32).toString("base64url");
  writeFileSync(
    file,
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
    { mode: 0o600 },
  );
  return secrets;
}

const secrets = devSecrets();
const adminToken = secrets.ADMIN_TOKEN;
const configs = stageConfigs(path.join(root, ".wrangler", "dev-configs"), { issuer, secrets });
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
