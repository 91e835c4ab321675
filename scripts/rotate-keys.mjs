#!/usr/bin/env node
// Rotates the OP's signing keys through the admin API. The previous keys stay in the JWKS
// until every token they signed has expired.
// Usage: node scripts/rotate-keys.mjs [issuer]
// The issuer and ADMIN_TOKEN from the environment, else from the local settings (op.settings),
// else the defaults of `start`: http://localhost:8787 and the generated token in .dev.vars.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseSettings, SETTINGS_FILE } from "./settings.mjs";
import { root } from "./workers.mjs";

const settingsFile = path.join(root, SETTINGS_FILE);
const local = existsSync(settingsFile) ? parseSettings(readFileSync(settingsFile, "utf8")).values : {};
const issuer = (process.argv[2] ?? process.env.ISSUER ?? local.ISSUER ?? "http://localhost:8787").replace(/\/$/, "");
let token = process.env.ADMIN_TOKEN ?? local.ADMIN_TOKEN;
const devVars = path.join(root, ".dev.vars");
if (!token && existsSync(devVars)) token = /ADMIN_TOKEN=(\S+)/.exec(readFileSync(devVars, "utf8"))?.[1];
if (!token) {
  console.error("Set ADMIN_TOKEN (the op-management secret).");
  process.exit(2);
}
const res = await fetch(`${issuer}/admin/keys/rotate`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
const body = await res.text();
if (!res.ok) {
  console.error(`rotation failed: ${res.status} ${body}`);
  process.exit(1);
}
console.log(body);
