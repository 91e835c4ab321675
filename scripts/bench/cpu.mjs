// CPU time per request, measured from outside the server. workerd freezes the clocks a Worker
// sees while it computes (and its tail events report cpuTime 0 locally), so the Workers cannot
// time themselves. Instead: the server process's own CPU time (utime + stime of all its threads,
// from /proc/<pid>/stat) over N sequential requests on an otherwise idle machine, divided by N.
// That counts everything the process does for a request: HTTP parsing, the service-binding hop,
// every Worker and Durable Object invocation, SQLite, crypto and garbage collection. It is an
// upper bound of what Cloudflare bills as the Worker's CPU time (which excludes the runtime's own
// HTTP handling and bills Durable Objects separately).

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { keepAliveAgent, request } from "./http.mjs";

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

/** CPU milliseconds the process has used so far (all threads). */
export function processCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND; // utime, stime
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function sender(makeRequest, agent) {
  return async () => {
    const { url, ...init } = makeRequest();
    const res = await request(url, { ...init, agent });
    if (res.status !== 200) throw new Error(`${init.method ?? "GET"} ${url}: ${res.status} ${res.body.slice(0, 200)}`);
  };
}

/**
 * CPU per request of process `pid` for several request kinds, each sent one at a time
 * (concurrency 1) after a warm-up. The kinds take turns in batches, so that a slow drift of the
 * server (its storage growing) weighs on all of them alike. Bounded by `batches` × `batchSize`
 * requests and `maxSeconds` per kind. Returns, per kind, CPU ms per request and the median wall
 * time of one request.
 */
export async function cpuPerRequest(pid, kinds, { warmup = 200, batches = 4, batchSize = 400, maxSeconds = 4 } = {}) {
  const agent = keepAliveAgent(1);
  const state = Object.fromEntries(Object.entries(kinds).map(([name, make]) => [name, { send: sender(make, agent), cpuMs: 0, walls: [] }]));
  for (const s of Object.values(state)) for (let i = 0; i < warmup; i++) await s.send();
  for (let b = 0; b < batches; b++) {
    for (const s of Object.values(state)) {
      const deadline = performance.now() + (maxSeconds * 1000) / batches;
      const cpuBefore = processCpuMs(pid);
      for (let i = 0; i < batchSize && performance.now() < deadline; i++) {
        const t = performance.now();
        await s.send();
        s.walls.push(performance.now() - t);
      }
      s.cpuMs += processCpuMs(pid) - cpuBefore;
    }
  }
  agent.destroy();
  return Object.fromEntries(
    Object.entries(state).map(([name, s]) => [name, { requests: s.walls.length, cpuMsPerRequest: s.cpuMs / s.walls.length, wallMsP50: median(s.walls) }]),
  );
}
