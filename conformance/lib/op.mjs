// Starts the four Workers of the OP with `wrangler dev` exactly as the e2e suite does
// (test/e2e/global-setup.ts): staged configs with this run's ISSUER, a private ADMIN_TOKEN,
// throw-away state, a free port. Development mode, so DEV_SEED_USERS gives us alice.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { bin, DEV_SECRET_NAMES, devArgs, root, stageConfigs, wranglerEnv } from "../../scripts/workers.mjs";

const BIND = "127.0.0.1";
const STARTUP_TIMEOUT_MS = 90_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A port nobody listens on right now; never 8787, which a developer's OP may be using. */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on("error", reject);
      server.listen(0, BIND, () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
    if (port !== 8787) return port;
  }
}

/** Starts the OP; resolves to { issuer, adminToken, stop, output() }. */
export async function startOp() {
  const port = await freePort();
  const inspectorPort = await freePort();
  const issuer = `http://localhost:${port}`;
  const tmp = mkdtempSync(path.join(tmpdir(), "op-conformance-"));
  const secrets = Object.fromEntries(DEV_SECRET_NAMES.map((name) => [name, randomBytes(32).toString("base64url")]));
  // The runner registers a few dozen clients from one address within minutes (one set per
  // plan variant, plus the Dynamic plan's); the default of 20 per hour is meant for people.
  secrets.RATE_LIMIT_REGISTER_IP = "2000/1h";
  const configs = stageConfigs(path.join(tmp, "configs"), { issuer, secrets });
  const args = [...devArgs(configs, { port, persistTo: path.join(tmp, "state") }), "--ip", BIND, "--inspector-port", String(inspectorPort)];
  let output = "";
  const wrangler = spawn(path.join(bin, "wrangler"), args, {
    cwd: root,
    detached: true, // own process group: stop() ends wrangler and workerd together
    stdio: ["ignore", "pipe", "pipe"],
    env: wranglerEnv({ WRANGLER_REGISTRY_PATH: path.join(tmp, "registry"), NO_COLOR: "1" }),
  });
  // `wrangler dev` reloads the Workers when a source file changes (someone editing while the
  // runner runs); requests in flight then fail. Counted so the runner can retry those modules.
  const state = { reloads: 0 };
  const onData = (d) => {
    output += d;
    if (/reload|restart|updated/i.test(String(d)) && output.length > 0) state.reloads++;
  };
  wrangler.stdout.on("data", onData);
  wrangler.stderr.on("data", onData);
  let exited;
  wrangler.on("exit", (code, signal) => (exited = String(code ?? signal)));
  const kill = (sig) => {
    try {
      process.kill(-wrangler.pid, sig);
    } catch {}
  };
  const onExit = () => kill("SIGKILL");
  process.once("exit", onExit);
  const stop = async () => {
    if (exited === undefined) {
      kill("SIGTERM");
      for (let i = 0; i < 100 && exited === undefined; i++) await sleep(100);
      kill("SIGKILL");
    }
    process.off("exit", onExit);
    rmSync(tmp, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = "no answer yet";
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`wrangler dev exited (${exited}) before the OP answered.\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the OP did not answer ${issuer} within ${STARTUP_TIMEOUT_MS / 1000} s (last: ${last}).\n${output}`);
    }
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = String(err.cause ?? err);
    }
    await sleep(300);
  }
  state.reloads = 0; // start-up output does not count
  return { issuer, adminToken: secrets.ADMIN_TOKEN, stop, output: () => output, reloads: () => state.reloads };
}
