// A small HTTP/1.1 client on node:http with keep-alive: lighter than fetch, so the load generator
// (which shares the machine's two cores with the server under test) spends less CPU per request.

import { readFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";

/** Every request goes to a loopback address, and only there (the benchmark's rule). */
function assertLoopback(url) {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) throw new Error(`refusing a non-loopback target: ${url}`);
}

export function keepAliveAgent(maxSockets = 64) {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** One request; resolves with status, headers (lower-case) and the body as text. */
export function request(url, { method = "GET", headers = {}, body, agent, timeoutMs = 30_000 } = {}) {
  const target = new URL(url);
  assertLoopback(target);
  return new Promise((resolve, reject) => {
    const req = http.request(target, { method, headers: body ? { "content-length": Buffer.byteLength(body), ...headers } : headers, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${timeoutMs} ms: ${method} ${target.pathname}`)));
    req.on("error", reject);
    req.end(body);
  });
}

export async function requestJson(url, init) {
  const res = await request(url, init);
  if (res.status < 200 || res.status >= 300) throw new Error(`${init?.method ?? "GET"} ${url}: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body);
}

/** Polls `url` until it answers 200; fails early if `child` exits, with the tail of its log. */
export async function waitForHttp(url, { child, timeoutMs = 30_000, logFile } = {}) {
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child?.once("exit", (code) => (exited = code ?? "signal"));
  const tail = () => (logFile ? `\n${readFileSync(logFile, "utf8").slice(-3000)}` : "");
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`server exited (${exited}) before ${url} answered${tail()}`);
    try {
      if ((await request(url, { timeoutMs: 2000 })).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms${tail()}`);
}

/** A port nothing listens on right now, on the loopback address. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export const basicAuth = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;
export const form = (params) => new URLSearchParams(params).toString();
