// The developer-experience figure: how long one complete login takes under `wrangler dev`, as a
// developer clicking through it would see. Same configs and arguments as scripts/dev.mjs
// (stageConfigs + devArgs), on a free port, persisting to a temporary directory on disk (as
// .wrangler/state is for a developer; not the benchmark's memory-backed directory).
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bin, devArgs, root, stageConfigs, wranglerEnv } from "../workers.mjs";
import { keepAliveAgent, requestJson, waitForHttp } from "./http.mjs";
import { loginFlow } from "./login-flow.mjs";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function startWranglerDev({ dir, port, secrets }) {
  const issuer = `http://localhost:${port}`;
  const configs = stageConfigs(path.join(dir, "dev-configs"), { issuer, secrets });
  const logFile = path.join(dir, "wrangler-dev.log");
  const log = createWriteStream(logFile);
  // Its own process group, so that stopping it also stops the workerd it starts.
  const child = spawn(path.join(bin, "wrangler"), devArgs(configs, { port, persistTo: path.join(dir, "state") }), {
    cwd: root,
    env: wranglerEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const stop = () => {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  try {
    await waitForHttp(`${issuer}/.well-known/openid-configuration`, { child, timeoutMs: 90_000, logFile });
  } catch (err) {
    stop();
    throw err;
  }
  return { issuer, stop };
}

/** Sequential logins (one developer, one browser) after a warm-up; returns their p50 in ms. */
export async function wranglerDevLogin({ port, secrets, flows = 20, warmup = 3 }) {
  const dir = mkdtempSync(path.join(tmpdir(), "op-bench-dev-"));
  let dev;
  try {
    dev = await startWranglerDev({ dir, port, secrets });
    const discovery = await requestJson(`${dev.issuer}/.well-known/openid-configuration`);
    const redirectUri = "http://127.0.0.1:9/cb";
    const client = await requestJson(discovery.registration_endpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code", "refresh_token"],
        scope: "openid profile email address phone offline_access",
      }),
    });
    const op = {
      authorizationEndpoint: discovery.authorization_endpoint,
      tokenEndpoint: discovery.token_endpoint,
      client: { id: client.client_id, secret: client.client_secret, redirectUri },
    };
    const agent = keepAliveAgent(4);
    for (let i = 0; i < warmup; i++) await loginFlow(op, agent);
    const times = [];
    for (let i = 0; i < flows; i++) {
      const t = performance.now();
      await loginFlow(op, agent);
      times.push(performance.now() - t);
    }
    agent.destroy();
    return { flows, p50: median(times), min: Math.min(...times), max: Math.max(...times) };
  } finally {
    dev?.stop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); // after a failure too: the error carries the log's tail
  }
}
