#!/usr/bin/env node
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
// Benchmarks our OP (its four Workers under `workerd serve`) side by side with the certified
// oidc-provider 9 (Node 22), on this machine, with the same load generator; then bundle sizes,
// CPU per request, and the login under `wrangler dev`. docs/performance.md explains the method.
//
//   npx -y pnpm@10 bench [--rounds 5] [--duration 3] [--connections 16] [--login-concurrency 8]
//                        [--scenarios discovery,jwks,…] [--skip-wrangler-dev] [--state-dir DIR] [--no-write]
//
// Writes docs/bench-results.json and the results block of docs/performance.md (unless --no-write).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEV_SECRET_NAMES, root } from "../workers.mjs";
import { cpuPerRequest } from "./cpu.mjs";
import { basicAuth, form, freePort, keepAliveAgent, requestJson } from "./http.mjs";
import { loginFlow } from "./login-flow.mjs";
import { startReference } from "./reference.mjs";
import { markdown, targetsOf, writeResultsBlock } from "./report.mjs";
import { API_RESOURCE, RefreshPool, runAutocannon, runScenario, SCENARIO_NAMES } from "./scenarios.mjs";
import { benchStateRoot, UNREACHABLE_LIMITS } from "./settings.mjs";
import { startWorkerd, WORKERD_BIN } from "./workerd.mjs";
import { wranglerDevLogin } from "./wrangler-dev.mjs";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "3" },
    connections: { type: "string", default: "16" },
    "login-concurrency": { type: "string", default: "8" },
    scenarios: { type: "string", default: SCENARIO_NAMES.join(",") },
    "skip-wrangler-dev": { type: "boolean", default: false },
    "no-write": { type: "boolean", default: false },
    "state-dir": { type: "string" },
  },
});
/** A whole number from 1 to `max`: every loop of the benchmark stays bounded. */
function bounded(name, max) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be a whole number from 1 to ${max}`);
  return n;
}
const settings = {
  rounds: bounded("rounds", 20),
  durationS: bounded("duration", 30),
  connections: bounded("connections", 256),
  loginConcurrency: bounded("login-concurrency", 64),
};
const scenarios = args.scenarios.split(",").filter((s) => SCENARIO_NAMES.includes(s));

const REDIRECT_URI = "http://127.0.0.1:9/cb"; // never contacted: the flow stops at the redirect
const CLIENT_SCOPE = "openid profile email address phone offline_access api";

const log = (...xs) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...xs);

/** Endpoints from discovery, a client, an access token for userinfo and a refresh-token pool. */
async function prepare(name, origin, client) {
  const discovery = await requestJson(`${origin}/.well-known/openid-configuration`);
  const op = {
    name,
    origin,
    discoveryUrl: `${origin}/.well-known/openid-configuration`,
    authorizationEndpoint: discovery.authorization_endpoint,
    tokenEndpoint: discovery.token_endpoint,
    userinfoEndpoint: discovery.userinfo_endpoint,
    jwksUri: discovery.jwks_uri,
    client,
    agent: keepAliveAgent(16),
  };
  op.accessToken = (await loginFlow(op, op.agent)).access_token;
  op.refreshPool = new RefreshPool(op, settings.connections + 8);
  return op;
}

/** Our client, registered through the OP's own dynamic registration (open in development). */
async function registerOurClient(origin) {
  const reg = await requestJson(`${origin}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ redirect_uris: [REDIRECT_URI], grant_types: ["authorization_code", "refresh_token", "client_credentials"], scope: CLIENT_SCOPE }),
  });
  return { id: reg.client_id, secret: reg.client_secret, redirectUri: REDIRECT_URI };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Alternating rounds: in each, every scenario runs on both OPs, the first one alternating. */
async function throughput(ours, theirs) {
  for (const name of scenarios) {
    for (const op of [ours, theirs]) await runScenario(name, op, { ...settings, durationS: 1 }); // warm-up
  }
  const rounds = Object.fromEntries(scenarios.map((s) => [s, []]));
  for (let round = 0; round < settings.rounds; round++) {
    for (const name of scenarios) {
      const order = round % 2 === 0 ? [ours, theirs] : [theirs, ours];
      const r = {};
      for (const op of order) r[op.name] = await runScenario(name, op, settings);
      r.ratio = r.ours.rps / r.theirs.rps;
      rounds[name].push(r);
      log(`round ${round + 1} ${name}: ours ${r.ours.rps.toFixed(0)}/s, theirs ${r.theirs.rps.toFixed(0)}/s, ratio ${r.ratio.toFixed(2)}`);
      for (const side of ["ours", "theirs"]) if (r[side].firstError) log(`  ${side} error: ${r[side].firstError}`);
    }
  }
  const summary = (runs) => ({
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    failures: runs.reduce((n, r) => n + r.failures, 0),
  });
  return Object.fromEntries(
    scenarios.map((name) => {
      const rs = rounds[name];
      return [name, { ours: summary(rs.map((r) => r.ours)), theirs: summary(rs.map((r) => r.theirs)), ratio: median(rs.map((r) => r.ratio)), rounds: rs }];
    }),
  );
}

/**
 * CPU per request of each stateless scenario: both OPs, and ours once more straight to the Worker
 * serving the path (as a zone route would send it), which shows what the front Worker's
 * service-binding hop costs. The targets concern the token (client_credentials) and userinfo.
 */
async function cpu({ ours, oursDirect, theirs, ourPid, theirPid }) {
  const requests = {
    discovery: (op) => () => ({ url: op.discoveryUrl }),
    jwks: (op) => () => ({ url: op.jwksUri }),
    client_credentials: (op) => () => ({
      url: op.tokenEndpoint,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(op.client.id, op.client.secret) },
      body: form({ grant_type: "client_credentials", scope: "api", resource: API_RESOURCE }),
    }),
    userinfo: (op) => () => ({ url: op.userinfoEndpoint, headers: { authorization: `Bearer ${op.accessToken}` } }),
  };
  const out = {};
  for (const [name, make] of Object.entries(requests)) {
    out[name] = {
      ...(await cpuPerRequest(ourPid, { ours: make(ours), oursDirect: make(oursDirect) })),
      ...(await cpuPerRequest(theirPid, { theirs: make(theirs) })),
    };
    const ms = (side) => out[name][side].cpuMsPerRequest.toFixed(2);
    log(`cpu ${name}: ours ${ms("ours")} ms (straight to its Worker ${ms("oursDirect")} ms), theirs ${ms("theirs")} ms`);
  }
  return out;
}

/**
 * The runtime's floor on this machine: a Worker returning a constant, alone and behind a
 * service-binding hop, under the same load and at concurrency 1.
 */
async function floor(urls, pid) {
  const out = {};
  for (const [name, url] of Object.entries(urls)) out[name] = await runAutocannon({ url }, settings);
  const cpuRuns = await cpuPerRequest(pid, Object.fromEntries(Object.entries(urls).map(([name, url]) => [name, () => ({ url })])));
  for (const name of Object.keys(urls)) Object.assign(out[name], cpuRuns[name]);
  log(
    `floor: one Worker ${out.direct.rps.toFixed(0)}/s, behind a hop ${out.hop.rps.toFixed(0)}/s, + one call ${out.hopOneCall.rps.toFixed(0)}/s, + two calls ${out.hopTwoCalls.rps.toFixed(0)}/s`,
  );
  return out;
}

/** Our endpoints served by the Workers behind the front one, each on its own socket. */
function direct(op, origins) {
  const move = (url, worker) => `${origins[worker]}${new URL(url).pathname}`;
  return {
    ...op,
    discoveryUrl: move(op.discoveryUrl, "op-discovery"),
    jwksUri: move(op.jwksUri, "op-discovery"),
    tokenEndpoint: move(op.tokenEndpoint, "op-token"),
    userinfoEndpoint: move(op.userinfoEndpoint, "op-token"),
  };
}

function versions() {
  const pkg = (name) => JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "--", "packages"], { cwd: root, encoding: "utf8" }).trim() ? "+uncommitted" : "";
  return {
    "our OP": `${commit}${dirty}`,
    workerd: execFileSync(WORKERD_BIN, ["--version"], { encoding: "utf8" })
      .trim()
      .replace(/^workerd /, ""),
    wrangler: pkg("wrangler"),
    node: process.versions.node,
    "oidc-provider": pkg("oidc-provider"),
    autocannon: pkg("autocannon"),
  };
}

function machine() {
  const cpuModel = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown";
  return { cpus: availableParallelism(), cpuModel, memoryGiB: Math.round(totalmem() / 2 ** 30) };
}

async function main() {
  const dir = mkdtempSync(path.join(benchStateRoot(args["state-dir"]), "op-bench-"));
  const secrets = Object.fromEntries(DEV_SECRET_NAMES.map((n) => [n, randomBytes(32).toString("base64url")]));
  const started = [];
  let failed = false;
  try {
    const ourPort = await freePort();
    log(`bundling the Workers and starting workerd on :${ourPort} (state in ${dir})`);
    const directPorts = { "op-token": await freePort(), "op-discovery": await freePort() };
    const floorPorts = { direct: await freePort(), hop: await freePort(), hopCalls: await freePort() };
    const workerd = await startWorkerd({
      dir,
      port: ourPort,
      directPorts,
      floorPorts,
      vars: { ISSUER: `http://127.0.0.1:${ourPort}`, ...secrets, ...UNREACHABLE_LIMITS },
    });
    started.push(workerd.child);
    const theirPort = await freePort();
    const theirClient = { id: "bench-client", secret: randomBytes(32).toString("base64url"), redirectUri: REDIRECT_URI };
    log(`starting oidc-provider on :${theirPort}`);
    const reference = await startReference({ dir, port: theirPort, client: theirClient, apiResource: API_RESOURCE });
    started.push(reference.child);

    const ours = await prepare("ours", workerd.origin, await registerOurClient(workerd.origin));
    const theirs = await prepare("theirs", reference.origin, theirClient);
    const results = { date: new Date().toISOString().slice(0, 10), machine: machine(), versions: versions(), settings };
    results.throughput = await throughput(ours, theirs);
    const oursDirect = direct(ours, workerd.directOrigins);
    results.cpu = await cpu({ ours, oursDirect, theirs, ourPid: workerd.child.pid, theirPid: reference.child.pid });
    results.floor = await floor(workerd.floorOrigins, workerd.child.pid);
    results.bundles = workerd.bundles.map(({ name, bytes, gzipBytes }) => ({ name, bytes, gzipBytes }));
    for (const op of [ours, theirs]) op.agent.destroy();
    for (const child of started.splice(0)) child.kill("SIGTERM");

    if (!args["skip-wrangler-dev"]) {
      log("login flow under wrangler dev");
      results.wranglerDev = await wranglerDevLogin({ port: await freePort(), secrets });
    }
    results.targets = targetsOf(results);
    console.log(`\n${markdown(results)}\n`);
    if (!args["no-write"]) {
      writeFileSync(path.join(root, "docs", "bench-results.json"), `${JSON.stringify(results, null, 2)}\n`);
      writeResultsBlock(path.join(root, "docs", "performance.md"), results);
      log("wrote docs/bench-results.json and the results block of docs/performance.md");
    }
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    for (const child of started) child.kill("SIGTERM");
    // On failure the servers' logs (workerd.log, reference-op.log) are kept for a look.
    if (failed || process.env.BENCH_KEEP) log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
