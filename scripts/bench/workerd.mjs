// Runs the OP's four Workers under `workerd serve`, the runtime Cloudflare runs, without wrangler
// dev's local proxy (which caps throughput near 1,000 req/s). Each Worker is bundled exactly as
// it would be deployed (`wrangler deploy --dry-run`), and a Cap'n Proto config wires them the way
// their wrangler.toml files do: service bindings, Durable Object bindings (every class defined in
// op-auth, one SQLite file per object in a state directory), KV, vars and the development secrets.
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import workerdPackage from "workerd";
import { unstable_readConfig } from "wrangler";
import { bin, root, WORKERS, wranglerEnv } from "../workers.mjs";
import { waitForHttp } from "./http.mjs";

/** Bundles one Worker as `wrangler deploy` would upload it; returns the bundle and its sizes. */
export function bundleWorker(worker, outRoot) {
  const outdir = path.join(outRoot, worker.name);
  const stdout = execFileSync(path.join(bin, "wrangler"), ["deploy", "--dry-run", "--outdir", outdir, "-c", worker.config], {
    cwd: root,
    env: wranglerEnv(),
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const file = path.join(outdir, "index.js");
  const code = readFileSync(file);
  // wrangler prints "Total Upload: 969.39 KiB / gzip: 169.62 KiB"; that is the figure the
  // platform's size limit applies to. zlib's default level gives the same within a few bytes.
  const reported = /gzip:\s*([\d.]+)\s*KiB/.exec(stdout)?.[1];
  return {
    name: worker.name,
    config: worker.config,
    file,
    bytes: code.length,
    gzipBytes: reported ? Math.round(Number(reported) * 1024) : gzipSync(code).length,
  };
}

/** Everything in a Worker's wrangler.toml that becomes a workerd binding. */
function readWorkerConfig(worker) {
  const c = unstable_readConfig({ config: path.join(root, worker.config) });
  return {
    name: c.name,
    compatibilityDate: c.compatibility_date,
    compatibilityFlags: c.compatibility_flags ?? [],
    vars: c.vars ?? {},
    services: c.services ?? [],
    kv: c.kv_namespaces ?? [],
    durableObjects: c.durable_objects?.bindings ?? [],
    sqliteClasses: (c.migrations ?? [])
      .flatMap((m) => m.new_sqlite_classes ?? [])
      .filter((name) => !(c.migrations ?? []).some((m) => m.deleted_classes?.includes(name))),
  };
}

/** The workerd binary itself (not the node_modules/.bin shell wrapper), so its pid is the server's. */
export const WORKERD_BIN = workerdPackage.default ?? workerdPackage;

const str = (s) => JSON.stringify(String(s)); // a JSON string literal is a valid Cap'n Proto one
const ident = (name) => name.replace(/-(\w)/g, (_, c) => c.toUpperCase()); // op-auth -> opAuth

/**
 * A tiny in-memory KV service speaking the protocol workerd's KV binding uses (GET/PUT/DELETE on
 * /<url-encoded key>, expiration_ttl in seconds). The OP only caches client metadata in KV; in
 * production those reads are edge-cache hits, so memory is the closest local stand-in.
 */
const KV_SERVICE = `
const store = new Map();
export default {
  async fetch(request) {
    const url = new URL(request.url);
    const key = decodeURIComponent(url.pathname.slice(1));
    const now = Date.now();
    if (request.method === "GET") {
      const entry = store.get(key);
      if (!entry || (entry.expires && entry.expires <= now)) return new Response("Not Found", { status: 404 });
      return new Response(entry.value);
    }
    if (request.method === "PUT") {
      const ttl = Number(url.searchParams.get("expiration_ttl") ?? 0);
      store.set(key, { value: await request.arrayBuffer(), expires: ttl ? now + ttl * 1000 : 0 });
      return new Response(null);
    }
    if (request.method === "DELETE") {
      store.delete(key);
      return new Response(null);
    }
    return new Response("unsupported", { status: 405 });
  },
};`;

/**
 * The floor: Workers that do nothing but return a constant 2 KB JSON document, alone and behind a
 * service-binding hop like our front Worker's. Whatever our OP does costs on top of these.
 * FLOOR_CALLS also makes N sequential RPC calls (the path: /1, /2) to N SQLite-backed Durable
 * Objects that each read one stored value, as an endpoint does that must ask N objects (client
 * authentication; a grant's status and the account's claims).
 */
const FLOOR_BACK = `const body = JSON.stringify({ padding: "x".repeat(2000) });
export default { fetch: () => new Response(body, { headers: { "content-type": "application/json" } }) };`;
const FLOOR_FRONT = `export default { fetch: (request, env) => env.BACK.fetch(request) };`;
const FLOOR_CALLS = `import { DurableObject } from "cloudflare:workers";
export class FloorObject extends DurableObject {
  read() {
    const v = this.ctx.storage.kv.get("v");
    if (v === undefined) this.ctx.storage.kv.put("v", 1);
    return v ?? 1;
  }
}
const body = JSON.stringify({ padding: "x".repeat(2000) });
export default {
  async fetch(request, env) {
    const calls = Math.min(4, Number(new URL(request.url).pathname.slice(1)) || 0);
    for (let i = 0; i < calls; i++) await env.OBJECTS.get(env.OBJECTS.idFromName("object-" + i)).read();
    return new Response(body, { headers: { "content-type": "application/json" } });
  },
};`;

function floorServices(compatibilityDate) {
  const worker = (code, rest = "") => `(modules = [(name = "w.js", esModule = ${str(code)})], compatibilityDate = ${str(compatibilityDate)}${rest})`;
  const objects = `, bindings = [(name = "OBJECTS", durableObjectNamespace = "FloorObject")], durableObjectNamespaces = [(className = "FloorObject", uniqueKey = "floor-FloorObject", enableSql = true)], durableObjectStorage = (localDisk = "do-storage")`;
  return [
    `(name = "floor-back", worker = ${worker(FLOOR_BACK)})`,
    `(name = "floor-front", worker = ${worker(FLOOR_FRONT, `, bindings = [(name = "BACK", service = "floor-back")]`)})`,
    `(name = "floor-calls", worker = ${worker(FLOOR_CALLS, objects)})`,
    `(name = "floor-calls-front", worker = ${worker(FLOOR_FRONT, `, bindings = [(name = "BACK", service = "floor-calls")]`)})`,
  ];
}

/**
 * For profiling only: a main module in front of a Worker's bundle that counts the Durable Object
 * calls (namespace.method), KV reads and writes, and service-binding calls the Worker makes.
 * GET /__bench/calls answers the counts so far (the front Worker adds its siblings') and resets
 * them. The wrapped env is made once per env object, so the OP's per-isolate caches keyed on env
 * keep working.
 */
function countingModule(cfg) {
  const objects = cfg.durableObjects.map((d) => d.name);
  const kv = cfg.kv.map((k) => k.binding);
  const services = cfg.services.map((x) => x.binding);
  return `import worker from "./index.js";
export * from "./index.js";
const OBJECTS = ${JSON.stringify(objects)}, KV = ${JSON.stringify(kv)}, SERVICES = ${JSON.stringify(services)};
let counts = {};
const count = (key) => { counts[key] = (counts[key] ?? 0) + 1; };
const callable = (target, name, key) => (...args) => { count(key); return target[name](...args); };
function wrapStub(binding, stub) {
  return new Proxy(stub, { get: (t, p) => (typeof p === "string" && typeof t[p] === "function" ? callable(t, p, binding + "." + p) : t[p]) });
}
function wrapNamespace(binding, ns) {
  return new Proxy(ns, { get: (t, p) => (p === "get" ? (...a) => wrapStub(binding, t.get(...a)) : typeof t[p] === "function" ? (...a) => t[p](...a) : t[p]) });
}
const wrapped = new WeakMap();
function wrapEnv(env) {
  if (!wrapped.has(env)) {
    const out = { ...env };
    for (const b of OBJECTS) out[b] = wrapNamespace(b, env[b]);
    for (const b of KV) out[b] = new Proxy(env[b], { get: (t, p) => (typeof t[p] === "function" ? callable(t, p, b + "." + p) : t[p]) });
    for (const b of SERVICES) out[b] = new Proxy(env[b], { get: (t, p) => (p === "fetch" ? callable(t, p, b + ".fetch") : t[p]) });
    wrapped.set(env, out);
  }
  return wrapped.get(env);
}
export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__bench/calls") {
      const all = counts;
      counts = {};
      for (const b of SERVICES) Object.assign(all, await (await env[b].fetch(request)).json());
      return Response.json(all);
    }
    return worker.fetch(request, wrapEnv(env), ctx);
  },
};`;
}

function workerBlock(cfg, bundlePath, { vars, hostsObjects, countCalls }) {
  const bindings = [
    ...Object.entries({ ...cfg.vars, ...vars }).map(([k, v]) => `(name = ${str(k)}, text = ${str(v)})`),
    ...cfg.services.map((s) => `(name = ${str(s.binding)}, service = ${str(s.service)})`),
    ...cfg.kv.map((k) => `(name = ${str(k.binding)}, kvNamespace = "kv")`),
    ...cfg.durableObjects.map((d) =>
      d.script_name && d.script_name !== cfg.name
        ? `(name = ${str(d.name)}, durableObjectNamespace = (className = ${str(d.class_name)}, serviceName = ${str(d.script_name)}))`
        : `(name = ${str(d.name)}, durableObjectNamespace = ${str(d.class_name)})`,
    ),
  ];
  const lines = [
    `const ${ident(cfg.name)} :Workerd.Worker = (`,
    countCalls
      ? `  modules = [(name = "counting.js", esModule = ${str(countingModule(cfg))}), (name = "index.js", esModule = embed ${str(bundlePath)})],`
      : `  modules = [(name = "index.js", esModule = embed ${str(bundlePath)})],`,
    `  compatibilityDate = ${str(cfg.compatibilityDate)},`,
    `  compatibilityFlags = [${cfg.compatibilityFlags.map(str).join(", ")}],`,
    `  bindings = [\n    ${bindings.join(",\n    ")}\n  ],`,
  ];
  if (hostsObjects) {
    // The classes this script defines: those it binds without script_name (op-auth binds all).
    const classes = cfg.durableObjects.filter((d) => !d.script_name || d.script_name === cfg.name).map((d) => d.class_name);
    const namespaces = classes.map((c) => `(className = ${str(c)}, uniqueKey = ${str(`${cfg.name}-${c}`)}, enableSql = ${cfg.sqliteClasses.includes(c)})`);
    lines.push(`  durableObjectNamespaces = [\n    ${namespaces.join(",\n    ")}\n  ],`, `  durableObjectStorage = (localDisk = "do-storage"),`);
  }
  lines.push(");");
  return lines.join("\n");
}

/** The whole workerd config: one service per Worker, the KV service, DO storage, the sockets. */
export function workerdConfig({ bundles, port, directPorts = {}, floorPorts, stateDir, vars, v8Flags = [], countCalls = false }) {
  const configs = WORKERS.map((w) => readWorkerConfig(w));
  const front = configs[0].name; // op-auth: listens on the issuer origin and hosts the objects
  const services = [
    ...configs.map((c) => `(name = ${str(c.name)}, worker = .${ident(c.name)})`),
    `(name = "kv", worker = (modules = [(name = "kv.js", esModule = ${str(KV_SERVICE)})], compatibilityDate = "2026-11-01"))`,
    `(name = "do-storage", disk = (path = ${str(stateDir)}, writable = true))`,
    ...(floorPorts ? floorServices(configs[0].compatibilityDate) : []),
  ];
  // Optional sockets straight to a sibling, as a zone route (`/token*` → op-token) would send
  // requests in production, skipping the front Worker's service-binding hop.
  const sockets = [
    `(name = "http", address = ${str(`127.0.0.1:${port}`)}, http = (), service = ${str(front)})`,
    ...Object.entries(directPorts).map(
      ([name, p]) => `(name = ${str(`direct-${name}`)}, address = ${str(`127.0.0.1:${p}`)}, http = (), service = ${str(name)})`,
    ),
    ...(floorPorts
      ? [
          `(name = "floor", address = ${str(`127.0.0.1:${floorPorts.direct}`)}, http = (), service = "floor-back")`,
          `(name = "floor-hop", address = ${str(`127.0.0.1:${floorPorts.hop}`)}, http = (), service = "floor-front")`,
          `(name = "floor-hop-calls", address = ${str(`127.0.0.1:${floorPorts.hopCalls}`)}, http = (), service = "floor-calls-front")`,
        ]
      : []),
  ];
  return [
    `using Workerd = import "/workerd/workerd.capnp";`,
    `const config :Workerd.Config = (`,
    `  services = [\n    ${services.join(",\n    ")}\n  ],`,
    `  sockets = [\n    ${sockets.join(",\n    ")}\n  ],`,
    `  v8Flags = [${v8Flags.map(str).join(", ")}],`,
    `);`,
    ...configs.map((c) => workerBlock(c, bundles[c.name], { vars, hostsObjects: c.name === front, countCalls })),
  ].join("\n\n");
}

/**
 * Bundles the Workers into `dir`, writes the config, starts `workerd serve` on 127.0.0.1:port
 * (plus `directPorts`: { "op-token": port, … } straight to siblings, and `floorPorts`: { direct,
 * hop } for the do-nothing Workers) and resolves once discovery answers. Returns the bundle sizes and the process. `v8Flags` is for
 * profiling (e.g. --perf-basic-prof, so that `perf` can name JavaScript functions), and so is
 * `countCalls` (see countingModule).
 */
export async function startWorkerd({ dir, port, directPorts = {}, floorPorts, vars, v8Flags, countCalls }) {
  const buildDir = path.join(dir, "build");
  const stateDir = path.join(dir, "do-state");
  mkdirSync(stateDir, { recursive: true });
  const built = WORKERS.map((w) => bundleWorker(w, buildDir));
  // `embed` paths are resolved relative to the config file.
  const bundles = Object.fromEntries(built.map((b) => [b.name, path.relative(dir, b.file)]));
  const configFile = path.join(dir, "workerd.capnp");
  writeFileSync(configFile, workerdConfig({ bundles, port, directPorts, floorPorts, stateDir, vars, v8Flags, countCalls }));
  const log = createWriteStream(path.join(dir, "workerd.log"));
  // --experimental: localDisk Durable Object storage (SQLite files) is marked experimental.
  const child = spawn(WORKERD_BIN, ["serve", "--experimental", configFile], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const origin = `http://127.0.0.1:${port}`;
  await waitForHttp(`${origin}/.well-known/openid-configuration`, { child, timeoutMs: 30_000, logFile: path.join(dir, "workerd.log") });
  const directOrigins = Object.fromEntries(Object.entries(directPorts).map(([name, p]) => [name, `http://127.0.0.1:${p}`]));
  const floorOrigins = floorPorts && {
    direct: `http://127.0.0.1:${floorPorts.direct}/`,
    hop: `http://127.0.0.1:${floorPorts.hop}/`,
    hopOneCall: `http://127.0.0.1:${floorPorts.hopCalls}/1`,
    hopTwoCalls: `http://127.0.0.1:${floorPorts.hopCalls}/2`,
  };
  return { origin, directOrigins, floorOrigins, child, bundles: built, configFile };
}
