#!/usr/bin/env node
// Starts the whole OP locally on http://localhost:8787 (or --port N) with `wrangler dev`,
// all Workers in one process. State persists in .wrangler/state across restarts.
// A development ADMIN_TOKEN is generated once into .dev.vars files (git-ignored).
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { WORKERS, configArgs, root } from "./workers.mjs";

const args = process.argv.slice(2);
const portIdx = args.indexOf("--port");
const port = portIdx >= 0 ? args[portIdx + 1] : "8787";
const issuer = `http://localhost:${port}`;

function ensureDevVars() {
  const primary = path.join(root, ".dev.vars");
  let token;
  if (existsSync(primary)) token = /ADMIN_TOKEN=(\S+)/.exec(readFileSync(primary, "utf8"))?.[1];
  token ??= randomBytes(32).toString("base64url");
  for (const w of WORKERS) {
    const file = path.join(root, w.dir, ".dev.vars");
    if (!existsSync(file)) writeFileSync(file, `ADMIN_TOKEN=${token}\n`, { mode: 0o600 });
  }
  return token;
}

const adminToken = ensureDevVars();
console.log(`\nOpenID Provider: ${issuer}/.well-known/openid-configuration`);
console.log(`Development user: alice / alice-password`);
console.log(`Admin API token (from .dev.vars): ${adminToken}\n`);

const wrangler = spawn(
  "wrangler",
  ["dev", ...configArgs(), "--port", port, "--var", `ISSUER:${issuer}`, "--show-interactive-dev-session=false", ...args.filter((_, i) => i !== portIdx && i !== portIdx + 1)],
  { cwd: root, stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => wrangler.kill(sig));
wrangler.on("exit", (code) => process.exit(code ?? 0));
