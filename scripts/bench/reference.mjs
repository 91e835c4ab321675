// Starts the reference OP (reference-op.mjs: oidc-provider 9) as its own Node 22 process.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { waitForHttp } from "./http.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startReference({ dir, port, client, apiResource }) {
  const logFile = path.join(dir, "reference-op.log");
  const log = createWriteStream(logFile);
  const options = { port, db: path.join(dir, "reference-op.sqlite"), client, apiResource };
  // process.execPath: the same Node 22 that runs the benchmark (node_modules/.bin/node).
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", path.join(here, "reference-op.mjs"), JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/.well-known/openid-configuration`, { child, timeoutMs: 30_000, logFile });
  return { origin, child };
}
