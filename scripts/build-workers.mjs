// Bundles each sibling Worker with `wrangler deploy --dry-run`, as it would be deployed. The
// in-runtime tests load these bundles as auxiliary Workers beside op-auth (the Worker under test).
import { execFileSync } from "node:child_process";
import path from "node:path";
import { root, WORKERS, wranglerEnv } from "./workers.mjs";

export function buildWorker(worker, outRoot = path.join(root, ".wrangler", "build")) {
  const outdir = path.join(outRoot, worker.name);
  execFileSync("wrangler", ["deploy", "--dry-run", "--outdir", outdir, "-c", worker.config], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: wranglerEnv(),
  });
  return path.join(outdir, "index.js");
}

export function buildAll(outRoot) {
  return Object.fromEntries(WORKERS.map((w) => [w.name, buildWorker(w, outRoot)]));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(buildAll());
}
