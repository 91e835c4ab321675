import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { bin, DEV_SECRET_NAMES, devArgs, root, stageConfigs, wranglerEnv } from "../../scripts/workers.mjs";

/**
 * Starts the four Workers of the OP for real with `wrangler dev` (one process, the same
 * arguments as scripts/dev.mjs) on a free port, with throw-away state, and provides the
 * issuer to the tests (`inject("issuer")`).
 */

declare module "vitest" {
  export interface ProvidedContext {
    issuer: string;
  }
}

/**
 * `wrangler dev` listens on 127.0.0.1 only (checked: it binds "localhost" as 127.0.0.1, not
 * ::1). The issuer stays http://localhost:<port> as in scripts/dev.mjs; Node's fetch falls
 * back from ::1 to 127.0.0.1, and we pass --ip so the bind address is explicit.
 */
const BIND = "127.0.0.1";
const STARTUP_TIMEOUT_MS = 90_000;

/** A port nobody listens on right now; never 8787, which a developer's OP may be using. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on("error", reject);
      server.listen(0, BIND, () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (port !== 8787) return port;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default async function setup(project: TestProject) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const issuer = `http://localhost:${port}`;
  const tmp = mkdtempSync(path.join(tmpdir(), "op-e2e-"));
  const persistTo = path.join(tmp, "state");
  // Staged configs with this run's ISSUER and a private admin token; the repository's files and .dev.vars are untouched.
  const secrets = Object.fromEntries(DEV_SECRET_NAMES.map((name) => [name, randomBytes(32).toString("base64url")]));
  const configs = stageConfigs(path.join(tmp, "configs"), { issuer, secrets });
  const args = [...devArgs(configs, { port, persistTo }), "--ip", BIND, "--inspector-port", String(inspectorPort)];
  let output = "";
  const wrangler: ChildProcess = spawn(path.join(bin, "wrangler"), args, {
    cwd: root,
    detached: true, // its own process group: teardown stops wrangler and workerd together
    stdio: ["ignore", "pipe", "pipe"],
    // A private dev registry, so these Workers neither see nor shadow another `wrangler dev`.
    env: wranglerEnv({ WRANGLER_REGISTRY_PATH: path.join(tmp, "registry"), NO_COLOR: "1" }),
  });
  wrangler.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  wrangler.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  let exited: string | undefined;
  wrangler.on("exit", (code, signal) => (exited = String(code ?? signal)));
  // Should vitest die without running teardown, do not leave workerd behind.
  const onExit = () => {
    try {
      if (wrangler.pid) process.kill(-wrangler.pid, "SIGKILL");
    } catch {}
  };
  process.once("exit", onExit);

  const stop = async () => {
    if (wrangler.pid && exited === undefined) {
      const kill = (sig: NodeJS.Signals) => {
        try {
          process.kill(-wrangler.pid!, sig);
        } catch {}
      };
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
      throw new Error(`the OP did not answer ${issuer}/.well-known/openid-configuration with 200 within ${STARTUP_TIMEOUT_MS / 1000} s (last: ${last}).\n--- wrangler output ---\n${output}`);
    }
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5_000) });
      if (res.status === 200) break;
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 500)}`;
    } catch (err) {
      last = String((err as Error).cause ?? err);
    }
    await sleep(500);
  }

  project.provide("issuer", issuer);
  return stop;
}
