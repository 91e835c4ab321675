// The relying party's own HTTP server on 127.0.0.1: the redirect URIs the browser lands on
// (the page is empty; the runner reads the URL or the form body the browser sent), and the
// documents the OP fetches from an RP: request_uri objects, jwks_uri, sector_identifier_uri.

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** `port` 0 picks a free one; `origin` is the public URL that reaches this server, if not 127.0.0.1. */
export async function startRp({ port = 0, origin: publicOrigin } = {}) {
  const documents = new Map(); // path → { type, body }
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const doc = documents.get(url.pathname);
    if (doc) {
      const body = typeof doc.body === "function" ? doc.body() : doc.body;
      res.writeHead(200, { "content-type": doc.type, "cache-control": "no-store" });
      return res.end(body);
    }
    if (url.pathname.startsWith("/cb")) {
      req.resume();
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      return res.end("<!doctype html><title>RP callback</title><p>callback");
    }
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(port, "127.0.0.1", r));
  const origin = publicOrigin?.replace(/\/$/, "") ?? `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    /** Serves `body` (string or () => string) at a fresh path; returns its URL. */
    host(type, body, name = randomBytes(9).toString("base64url")) {
      const path = `/o/${name}`;
      documents.set(path, { type, body });
      return `${origin}${path}`;
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}
