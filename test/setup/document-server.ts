import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

/**
 * A real HTTP server on loopback, outside workerd, for documents the OP fetches from clients'
 * URLs (sector_identifier_uri, jwks_uri, request_uri). The URL says what to answer, and the only
 * state is a hit counter per random id, so test files running in parallel cannot disturb each
 * other. Every answer carries `Cache-Control: no-store` unless `cc` says otherwise.
 *
 *   /doc?body=<text>[&status=<n>][&type=<content-type>][&cc=<cache-control>]   that body (default 200, application/json)
 *   /count?id=<id>[&body=<text>][&cc=<cache-control>]     counts a hit for id, then as /doc (the body gets "#<n>" appended
 *                                                         when it has no body parameter: "hit #3")
 *   /hits?id=<id>                                         {"hits": <n>}, how often /count (or /redirect) saw id
 *   /redirect?to=<url>[&id=<id>]                          302 to `to` (counted for id, if given)
 *   /big?bytes=<n>                                        a JSON array of strings of about n bytes, with Content-Length
 *   /stream?bytes=<n>                                     about n bytes of a JSON array, chunked (no Content-Length)
 *   /slow?ms=<n>&body=<text>                              the body after n milliseconds
 *   /stall                                                200 and a first byte, then nothing more
 *
 * and one stateful endpoint, for back-channel logout (the OP POSTs logout tokens to it), each
 * sink named by its test so that files in parallel never share one:
 *
 *   POST /logout/<name>?fail=<n>[&status=<s>]   answers s (default 503) to the first n requests, then 200
 *   POST /logout/<name>?hang=1                  never answers (the OP's own timeout ends the request)
 *   GET  /logout/<name>/received                every request so far: [{ at, contentType, body, answered }]
 *
 * Tests read the origin with `inject("documentServer")` (typed in test/workers/provided-context.d.ts) (http://127.0.0.1:<port>), which the OP
 * accepts because ENVIRONMENT is development (loopback http allowed for fetched client URLs).
 */

// Also declared for the in-runtime tests in test/workers/provided-context.d.ts.
declare module "vitest" {
  export interface ProvidedContext {
    documentServer: string;
  }
}

interface Received {
  at: number;
  contentType: string | undefined;
  body: string;
  answered: number | null;
}

function serve(): Server {
  const sinks = new Map<string, Received[]>();
  const hits = new Map<string, number>();
  const hit = (id: string | null) => {
    if (!id) return 0;
    const n = (hits.get(id) ?? 0) + 1;
    hits.set(id, n);
    return n;
  };
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const q = url.searchParams;
    const sink = /^\/logout\/([\w-]{1,100})(\/received)?$/.exec(url.pathname);
    if (sink) return logoutSink(sinks, sink[1]!, !!sink[2], q, req, res);
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "cache-control": q.get("cc") ?? "no-store" });
      res.end(body);
    };
    switch (url.pathname) {
      case "/doc":
        return send(Number(q.get("status") ?? 200), q.get("body") ?? "", q.get("type") ?? "application/json");
      case "/count": {
        const n = hit(q.get("id"));
        return send(Number(q.get("status") ?? 200), q.get("body") ?? `hit #${n}`, q.get("type") ?? "application/json");
      }
      case "/hits":
        return send(200, JSON.stringify({ hits: hits.get(q.get("id") ?? "") ?? 0 }));
      case "/redirect":
        hit(q.get("id"));
        res.writeHead(302, { location: q.get("to") ?? "/" });
        return res.end();
      case "/stream": {
        const bytes = Number(q.get("bytes") ?? 100_000);
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }); // no Content-Length: chunked
        let sent = 0;
        const more = () => {
          while (sent < bytes) {
            sent += 1024;
            if (!res.write(`${sent === 1024 ? "[" : ","}"${"x".repeat(1018)}"`)) return void res.once("drain", more);
          }
          res.end("]");
        };
        return more();
      }
      case "/stall":
        res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
        res.write("[");
        return; // never ends; closed at teardown
      case "/big": {
        const bytes = Number(q.get("bytes") ?? 100_000);
        return send(200, JSON.stringify(Array.from({ length: Math.ceil(bytes / 40) }, (_, i) => `https://rp.example.com/cb/${String(i).padStart(12, "0")}`)));
      }
      case "/slow":
        setTimeout(() => send(200, q.get("body") ?? "[]"), Number(q.get("ms") ?? 10_000)).unref();
        return;
      default:
        return send(404, "not found", "text/plain");
    }
  });
}

/** The back-channel logout sink: records every request, fails the first `fail` of them, or never answers. */
function logoutSink(sinks: Map<string, Received[]>, name: string, listing: boolean, q: URLSearchParams, req: IncomingMessage, res: ServerResponse) {
  const received = sinks.get(name) ?? [];
  sinks.set(name, received);
  if (listing) {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    return res.end(JSON.stringify(received));
  }
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const entry: Received = { at: Date.now(), contentType: req.headers["content-type"], body: Buffer.concat(chunks).toString("utf8"), answered: null };
    received.push(entry);
    if (q.get("hang")) return; // the socket stays open until the OP gives up
    const failing = received.length <= Number(q.get("fail") ?? 0);
    entry.answered = failing ? Number(q.get("status") ?? 503) : 200;
    res.writeHead(entry.answered, { "cache-control": "no-store", "content-type": "text/plain" });
    res.end(failing ? "try later" : "");
  });
}

export default async function setup(project: TestProject) {
  const server = serve();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  project.provide("documentServer", `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
