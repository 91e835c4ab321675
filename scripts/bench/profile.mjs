#!/usr/bin/env node
// Where a request's CPU time goes in workerd: samples the workerd process with `perf` while one
// scenario runs at concurrency 1, then sorts every sample into a category by its call stack
// (SQLite, crypto, garbage collection, JavaScript, the runtime's HTTP/RPC machinery, the kernel)
// and ranks our JavaScript functions by inclusive time. V8 writes /tmp/perf-<pid>.map
// (--perf-basic-prof), so JavaScript frames have names. Needs `perf` (Debian: linux-perf).
//
//   node scripts/bench/profile.mjs <discovery|jwks|client_credentials|refresh_token|userinfo|login_flow> [--requests 500] [--direct]
//
// --direct sends discovery, JWKS, token and userinfo requests straight to the Worker serving them
// (as zone routes would), so that the difference shows the front Worker's service-binding hop.
// --calls counts, instead of sampling, the Durable Object calls, KV operations and
// service-binding calls one request makes (a wrapper module around each bundle counts them).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { processCpuMs } from "./cpu.mjs";
import { basicAuth, form, freePort, keepAliveAgent, request, requestJson } from "./http.mjs";
import { loginFlow } from "./login-flow.mjs";
import { API_RESOURCE } from "./scenarios.mjs";
import { benchStateRoot, UNREACHABLE_LIMITS } from "./settings.mjs";
import { startWorkerd } from "./workerd.mjs";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { requests: { type: "string", default: "500" }, direct: { type: "boolean", default: false }, calls: { type: "boolean", default: false } },
});
const scenario = positionals[0] ?? "client_credentials";
const requests = Math.min(5000, Number(args.requests));

/** First matching rule wins; a sample is tested against its whole stack, leaf first. */
const CATEGORIES = [
  ["SQLite (Durable Object storage)", /sqlite3|SqliteDatabase|SqliteKv|ActorSqlite|unixOpen|unixSync|pager|btree/i],
  ["crypto (BoringSSL, WebCrypto)", /SubtleCrypto|EVP_|ECDSA|RSA_|BN_|bn_|ec_GFp|EC_|p256|sha256|SHA256|HMAC|PKCS5|fiat_|CRYPTO_/],
  ["garbage collection", /v8::internal::(Heap::|Scavenger|MarkCompact|MinorMark|ConcurrentMarking|GCTracer|Sweeper)/],
  ["V8 compiler and parser", /v8::internal::(Compiler|compiler::|maglev::|baseline::|Parser|ParseInfo)|Builtins_CompileLazy/],
  ["Durable Object and service-binding RPC", /JsRpc|capnp::|workerd::rpc|ActorCache|Actor::|DurableObject|WorkerInterface|Fetcher/],
];
const JS_FRAME = /^JS:[*~^+']?(\S*) index\.js/; // --perf-basic-prof names: "JS:^name index.js:line:col"

function categorise(frames) {
  const leaf = frames[0] ?? "";
  for (const [name, re] of CATEGORIES) if (frames.some((f) => re.test(f))) return name;
  if (leaf.startsWith("[k]")) return "kernel (sockets, files, scheduling)";
  if (JS_FRAME.test(leaf) || leaf.startsWith("Builtins_")) return "JavaScript (our code and its libraries)";
  return "runtime (HTTP, promises, bindings, allocation)";
}

/** Parses `perf script` output into stacks of symbol names, leaf first. */
function stacksOf(perfData) {
  const text = execFileSync("perf", ["script", "-i", perfData, "-F", "ip,sym,dso"], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "pipe", "ignore"],
  });
  return text
    .split("\n\n")
    .map((block) =>
      block
        .split("\n")
        .map((line) => {
          const m = /^\s*[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)$/.exec(line);
          if (!m) return null;
          return m[2].includes("kernel") ? `[k] ${m[1]}` : m[1];
        })
        .filter(Boolean),
    )
    .filter((s) => s.length);
}

function summarise(stacks) {
  const categories = new Map();
  const functions = new Map();
  for (const frames of stacks) {
    const c = categorise(frames);
    categories.set(c, (categories.get(c) ?? 0) + 1);
    const names = new Set(frames.map((f) => JS_FRAME.exec(f)?.[1]).filter((n) => n && n.length > 1));
    for (const n of names) functions.set(n, (functions.get(n) ?? 0) + 1);
  }
  const pct = (n) => `${((100 * n) / stacks.length).toFixed(1)}%`;
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    categories: sorted(categories).map(([k, n]) => [k, pct(n)]),
    functions: sorted(functions)
      .slice(0, 25)
      .map(([k, n]) => [k, pct(n)]),
  };
}

/** The discovery document, its endpoints moved to the serving Workers' own sockets with --direct. */
async function endpoints(origin, directOrigins) {
  const discovery = await requestJson(`${origin}/.well-known/openid-configuration`);
  if (!args.direct) return discovery;
  const move = (url, worker) => `${directOrigins[worker]}${new URL(url).pathname}`;
  return {
    ...discovery,
    openidConfiguration: move(`${origin}/.well-known/openid-configuration`, "op-discovery"),
    jwks_uri: move(discovery.jwks_uri, "op-discovery"),
    token_endpoint: move(discovery.token_endpoint, "op-token"),
    userinfo_endpoint: move(discovery.userinfo_endpoint, "op-token"),
  };
}

async function setUp(origin, directOrigins) {
  const discovery = await endpoints(origin, directOrigins);
  const reg = await requestJson(`${origin}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      redirect_uris: ["http://127.0.0.1:9/cb"],
      grant_types: ["authorization_code", "refresh_token", "client_credentials"],
      scope: "openid profile email address phone offline_access api",
    }),
  });
  const client = { id: reg.client_id, secret: reg.client_secret, redirectUri: "http://127.0.0.1:9/cb" };
  const op = { authorizationEndpoint: discovery.authorization_endpoint, tokenEndpoint: discovery.token_endpoint, client };
  const agent = keepAliveAgent(1);
  const tokens = await loginFlow(op, agent);
  let refreshToken = tokens.refresh_token;
  const tokenPost = (params) =>
    request(discovery.token_endpoint, {
      method: "POST",
      agent,
      body: form(params),
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.id, client.secret) },
    });
  const one = {
    discovery: () => request(discovery.openidConfiguration ?? `${origin}/.well-known/openid-configuration`, { agent }),
    jwks: () => request(discovery.jwks_uri, { agent }),
    client_credentials: () => tokenPost({ grant_type: "client_credentials", scope: "api", resource: API_RESOURCE }),
    refresh_token: async () => {
      const res = await tokenPost({ grant_type: "refresh_token", refresh_token: refreshToken });
      refreshToken = JSON.parse(res.body).refresh_token ?? refreshToken; // chained rotations
      return res;
    },
    userinfo: () => request(discovery.userinfo_endpoint, { agent, headers: { authorization: `Bearer ${tokens.access_token}` } }),
    login_flow: async () => ({ status: (await loginFlow(op, agent)) && 200 }),
  }[scenario];
  if (!one) throw new Error(`unknown scenario ${scenario}`);
  return async () => {
    const res = await one();
    if (res.status !== 200) throw new Error(`${scenario}: ${res.status} ${res.body?.slice(0, 200)}`);
  };
}

/** Runs `requests` requests and prints the calls one request makes, on average. */
async function countCalls(origin, once) {
  await requestJson(`${origin}/__bench/calls`); // reset
  for (let i = 0; i < requests; i++) await once();
  const calls = await requestJson(`${origin}/__bench/calls`);
  console.log(`\n${scenario}: calls per request (average of ${requests})\n`);
  console.log("| Call | per request |\n| --- | --- |");
  for (const [k, n] of Object.entries(calls).sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${+(n / requests).toFixed(2)} |`);
}

async function main() {
  const dir = mkdtempSync(path.join(benchStateRoot(), "op-profile-"));
  const port = await freePort();
  const directPorts = { "op-token": await freePort(), "op-discovery": await freePort() };
  const workerd = await startWorkerd({
    dir,
    port,
    directPorts,
    vars: { ISSUER: `http://127.0.0.1:${port}`, ADMIN_TOKEN: "a".repeat(43), CLIENT_SECRET_ENCRYPTION_KEY: "k".repeat(43), ...UNREACHABLE_LIMITS },
    v8Flags: args.calls ? [] : ["--perf-basic-prof"],
    countCalls: args.calls,
  });
  const pid = workerd.child.pid;
  try {
    const once = await setUp(workerd.origin, workerd.directOrigins);
    if (args.calls) return await countCalls(workerd.origin, once);
    for (let i = 0; i < Math.min(200, requests); i++) await once(); // JIT warm-up
    const perfData = path.join(dir, "perf.data");
    const perf = spawn("perf", ["record", "-F", "2999", "-g", "-p", String(pid), "-o", perfData], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 500)); // perf attaches
    const cpu0 = processCpuMs(pid);
    const t0 = performance.now();
    for (let i = 0; i < requests; i++) await once();
    const wallMs = (performance.now() - t0) / requests;
    const cpuMs = (processCpuMs(pid) - cpu0) / requests;
    perf.kill("SIGINT");
    await new Promise((r) => perf.on("exit", r));
    const { categories, functions } = summarise(stacksOf(perfData));
    console.log(
      `\n${scenario}${args.direct ? " (straight to the serving Worker)" : ""}: ${requests} requests at concurrency 1, ${cpuMs.toFixed(2)} ms CPU and ${wallMs.toFixed(2)} ms wall per request (workerd process)\n`,
    );
    console.log("| Where the CPU time goes | share |\n| --- | --- |");
    for (const [k, v] of categories) console.log(`| ${k} | ${v} |`);
    console.log("\nJavaScript functions by inclusive share of samples:");
    for (const [k, v] of functions) console.log(`  ${v.padStart(6)}  ${k}`);
  } finally {
    workerd.child.kill("SIGTERM");
    const map = `/tmp/perf-${pid}.map`;
    if (existsSync(map)) unlinkSync(map);
    if (process.env.KEEP_PROFILE) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
