// Starts the four Workers of the OP for real with `wrangler dev` (one process, the same
// arguments as scripts/dev.mjs) on a free port, with throw-away state and staged configs that
// carry this run's ISSUER and private secrets; the repository's files and .dev.vars are
// untouched. Used by the e2e suite (test/e2e/global-setup.ts) and the conformance runner.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { splitSettings } from "./settings.mjs";
import { bin, DEV_SECRET_NAMES, devArgs, root, stageConfigs, wranglerEnv } from "./workers.mjs";

/**
 * `wrangler dev` listens on 127.0.0.1 only (checked: it binds "localhost" as 127.0.0.1, not
 * ::1). The issuer stays http://localhost:<port> as in scripts/dev.mjs; Node's fetch falls
 * back from ::1 to 127.0.0.1, and --ip makes the bind address explicit.
 */
export const BIND = "127.0.0.1";
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

/**
 * Resolves once discovery answers 200, to { issuer, secrets, stop, output(), reloads() }.
 * `vars` are settings applied as `start` applies a developer's op.settings (e.g. a raised rate
 * limit; scripts/settings.mjs splitSettings: secrets beside the generated ones in .dev.vars, the
 * rest in [vars]); the developer's own op.settings is not read. `reloads()` counts the times
 * wrangler reloaded the Workers after start-up (a source file changed mid-run).
 */
export async function startLocalOp({ tmpPrefix = "op-local-", vars = {} } = {}) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const issuer = `http://localhost:${port}`;
  const tmp = mkdtempSync(path.join(tmpdir(), tmpPrefix));
  const split = splitSettings(vars);
  const secrets = { ...Object.fromEntries(DEV_SECRET_NAMES.map((name) => [name, randomBytes(32).toString("base64url")])), ...split.secrets };
  const configs = stageConfigs(path.join(tmp, "configs"), { issuer, secrets, vars: split.vars });
  const args = [...devArgs(configs, { port, persistTo: path.join(tmp, "state") }), "--ip", BIND, "--inspector-port", String(inspectorPort)];
  const wrangler = spawn(path.join(bin, "wrangler"), args, {
    cwd: root,
    detached: true, // its own process group: stop() ends wrangler and workerd together
    stdio: ["ignore", "pipe", "pipe"],
    // A private dev registry, so these Workers neither see nor shadow another `wrangler dev`.
    env: wranglerEnv({ WRANGLER_REGISTRY_PATH: path.join(tmp, "registry"), NO_COLOR: "1" }),
  });
  let output = "";
  const state = { reloads: 0 };
  const onData = (d) => {
    output += d;
    if (/reload|restart|updated/i.test(String(d))) state.reloads++;
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
  // Should the caller die without stopping it, do not leave workerd behind.
  const onExit = () => kill("SIGKILL");
  process.once("exit", onExit);
  const stop = async () => {
    if (exited === undefined) {
      kill("SIGTERM");
      for (let i = 0; i < 100 && exited === undefined; i++) await sleep(100);
      kill("SIGKILL"); // the group may still hold workerd even once wrangler itself has exited
    }
    process.off("exit", onExit);
    rmSync(tmp, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let last = "no answer yet";
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`wrangler dev exited (${exited}) before the OP answered.\n--- wrangler output ---\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `the OP did not answer ${issuer}/.well-known/openid-configuration with 200 within ${STARTUP_TIMEOUT_MS / 1000} s (last: ${last}).\n--- wrangler output ---\n${output}`,
      );
    }
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) break;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`;
    } catch (err) {
      last = String(err.cause ?? err);
    }
    await sleep(300);
  }
  state.reloads = 0; // start-up output does not count
  return { issuer, secrets, stop, output: () => output, reloads: () => state.reloads };
}
