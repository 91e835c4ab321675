#!/usr/bin/env node
// Bundles the four Workers exactly as `wrangler deploy` would upload them (`wrangler deploy
// --dry-run --outdir`, scripts/build-workers.mjs) into dist/<worker>/ and prints each bundle's
// path and size. Nothing is deployed and no account is needed. Variables and secrets are not
// part of a bundle (they are bindings, given at deploy time), so local settings do not apply.
// Usage: node scripts/build.mjs [--outdir DIR]
import { readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { buildWorker } from "./build-workers.mjs";
import { root, WORKERS } from "./workers.mjs";

let outRoot;
try {
  const { values } = parseArgs({ options: { outdir: { type: "string", default: path.join(root, "dist") } } });
  outRoot = path.resolve(values.outdir);
} catch (err) {
  console.error(`${err.message}\nusage: node scripts/build.mjs [--outdir DIR]`);
  process.exit(2);
}

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const shown = (p) => (path.relative(process.cwd(), p).startsWith("..") ? p : path.relative(process.cwd(), p));
for (const worker of WORKERS) {
  rmSync(path.join(outRoot, worker.name), { recursive: true, force: true }); // no stale files from an earlier build
  let bundle;
  try {
    bundle = buildWorker(worker, outRoot);
  } catch (err) {
    console.error(`build: ${worker.name} (${worker.config}) failed: ${err.message.split("\n")[0]}`);
    process.exit(1);
  }
  const size = statSync(bundle).size;
  const gzip = gzipSync(readFileSync(bundle)).length;
  console.log(`${worker.name.padEnd(14)} ${shown(bundle)}  ${kib(size)} (${kib(gzip)} gzip)`);
}
