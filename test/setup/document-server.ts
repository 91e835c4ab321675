import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";

/**
 * A real HTTP server on loopback, outside workerd, for documents the OP fetches from clients'
 * URLs (sector_identifier_uri; jwks_uri and request_uri work the same way). Stateless, so test
 * files running in parallel cannot disturb each other: the URL says what to answer.
 *
 *   /doc?body=<text>[&status=<n>][&type=<content-type>]   that body (default 200, application/json)
 *   /redirect?to=<url>                                    302 to `to`
 *   /big?bytes=<n>                                        a JSON array of strings of about n bytes
 *   /slow?ms=<n>&body=<text>                              the body after n milliseconds
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

function serve(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const q = url.searchParams;
    const send = (status: number, body: string, type = "application/json") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    switch (url.pathname) {
      case "/doc":
        return send(Number(q.get("status") ?? 200), q.get("body") ?? "", q.get("type") ?? "application/json");
      case "/redirect":
        res.writeHead(302, { location: q.get("to") ?? "/" });
        return res.end();
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
