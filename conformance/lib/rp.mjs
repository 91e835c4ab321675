// The relying party's own HTTP server on 127.0.0.1: the redirect URIs the browser lands on
// (the page is empty; the runner reads the URL or the form body the browser sent), and the
// documents the OP fetches from an RP: request_uri objects, jwks_uri, sector_identifier_uri,
// the RP pages of the session check, and the endpoints logout calls (back- and front-channel).

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";

/** `port` 0 picks a free one; `origin` is the public URL that reaches this server, if not 127.0.0.1. */
export async function startRp({ port = 0, origin: publicOrigin } = {}) {
  const documents = new Map(); // path → { type, body }
  const receivers = new Map(); // path → requests received there
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const received = receivers.get(url.pathname);
    if (received) {
      // The back- and front-channel logout endpoints: every request recorded; 200 with no-store, as the suite answers.
      const chunks = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => {
        received.push({ method: req.method, url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
        res.end("");
      });
      return;
    }
    const doc = documents.get(url.pathname);
    if (doc) {
      const body = typeof doc.body === "function" ? doc.body() : doc.body;
      res.writeHead(200, { "content-type": doc.type, "cache-control": "no-store" });
      return res.end(body);
    }
    if (url.pathname.startsWith("/cb") || url.pathname.startsWith("/post_logout_redirect")) {
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
    /**
     * The same server on the issuer's site when both are local (http://localhost:<port>: the local
     * OP's issuer is http://localhost too), so that a page of it frames the OP same-site; the
     * public origin otherwise. The session check needs it: on plain http the OP's browser-state
     * cookie cannot be SameSite=None (docs/logout.md).
     */
    sameSiteOrigin: publicOrigin ? origin : `http://localhost:${server.address().port}`,
    /** Serves `body` (string or () => string) at a fresh path; returns its URL. */
    host(type, body, name = randomBytes(9).toString("base64url")) {
      const path = `/o/${name}`;
      documents.set(path, { type, body });
      return `${origin}${path}`;
    },
    /**
     * An endpoint at a fresh path (`/<kind>/<random>`) that records every request and answers 200;
     * `next(count, ms)` waits until it has `count` requests (or the time is up) and returns them.
     */
    receiver(kind) {
      const path = `/${kind}/${randomBytes(9).toString("base64url")}`;
      const requests = [];
      receivers.set(path, requests);
      return {
        url: `${origin}${path}`,
        requests,
        async next(count = 1, ms = 10_000) {
          const deadline = Date.now() + ms;
          while (requests.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          return requests;
        },
      };
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}
