#!/usr/bin/env node
// Starts the whole OP locally on http://localhost:8787 (or --port N) with `wrangler dev`, all
// Workers in one process. State persists in .wrangler/state across restarts. A development
// ADMIN_TOKEN is generated once into .dev.vars (git-ignored) and printed. Local settings come
// from op.settings (git-ignored, optional; --settings FILE for another) and `--set NAME=value`,
// and apply to all four Workers (scripts/settings.mjs; docs/configuration.md, "Local settings").
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { resolveStart, splitSettings } from "./settings.mjs";
import { DEV_SECRET_NAMES, devArgs, root, stageConfigs, wranglerEnv } from "./workers.mjs";

let start;
try {
  start = resolveStart(process.argv.slice(2));
} catch (err) {
  console.error(`start: ${err.message}`);
  process.exit(2);
}
const { port, issuer, settings, rest } = start;

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

const generated = devSecrets();
// Precedence: wrangler.toml [vars] < generated secrets (.dev.vars) < op.settings < --set.
const { vars, secrets } = splitSettings(settings);
const configs = stageConfigs(path.join(root, ".wrangler", "dev-configs"), { issuer, secrets: { ...generated, ...secrets }, vars });
for (const note of start.notes) console.log(note);
for (const warning of start.warnings) console.warn(`warning: ${warning}`);
console.log(`\nOpenID Provider: ${issuer}/.well-known/openid-configuration`);
const seeded = settings.ENVIRONMENT !== "production" && !["false", "0"].includes(settings.DEV_SEED_USERS ?? "true");
if (seeded) console.log("Development user: alice / alice-password");
if ("ADMIN_TOKEN" in settings) console.log("Admin API token: the ADMIN_TOKEN of your local settings\n");
else console.log(`Admin API token (from .dev.vars): ${generated.ADMIN_TOKEN}\n`);

const wrangler = spawn("wrangler", [...devArgs(configs, { port, persistTo: path.join(root, ".wrangler", "state") }), ...rest], {
  cwd: root,
  stdio: "inherit",
  env: wranglerEnv(),
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => wrangler.kill(sig));
wrangler.on("exit", (code) => process.exit(code ?? 0));
