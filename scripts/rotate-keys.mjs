#!/usr/bin/env node
// Rotates the OP's signing keys through the admin API. The previous keys stay in the JWKS
// until every token they signed has expired.
// Usage: node scripts/rotate-keys.mjs [issuer]   (ADMIN_TOKEN from the environment or .dev.vars)
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { root } from "./workers.mjs";

const issuer = (process.argv[2] ?? process.env.ISSUER ?? "http://localhost:8787").replace(/\/$/, "");
let token = process.env.ADMIN_TOKEN;
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
