import { isolateCache } from "@op/core";

/**
 * The front Worker keeps the sibling's public documents (discovery metadata, JWKS) in its
 * isolate for as long as their own `Cache-Control: public, max-age` allows, as an HTTP cache in
 * front of op-discovery would, so that repeat requests skip the service-binding hop. A copy is
 * served with the max-age that remains (RFC 9111 §4.2), so no cache downstream keeps it longer
 * than the original allowed: a rotation's pre-published keys reach relying parties in time.
 */
interface Stored {
  until: number;
  status: number;
  headers: [string, string][];
  body: ArrayBuffer;
}

/** A handful of paths (the discovery documents and the JWKS), each for the max-age it came with, at most 10 minutes. */
const stored = isolateCache<string, Stored>({ name: "public-documents", maxEntries: 16, maxAgeMs: 10 * 60_000 });

const maxAgeOf = (cacheControl: string | null): number | null => {
  if (!cacheControl || !/(^|,)\s*public\s*(,|$)/i.test(cacheControl) || /no-store|no-cache|private/i.test(cacheControl)) return null;
  const m = /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl);
  return m ? Number(m[1]) : null;
};

function served(entry: Stored, now: number): Response {
  const maxAge = Math.max(0, Math.floor((entry.until - now) / 1000));
  return new Response(entry.body, { status: entry.status, headers: [...entry.headers, ["cache-control", `public, max-age=${maxAge}`]] });
}

/**
 * This isolate's fresh copy for a GET without a query, or null. Called before serve() copies
 * the request: a hit needs nothing of the request but its method and path.
 */
export function freshPublicDocument(request: Request, url: URL, now = Date.now()): Response | null {
  if (request.method !== "GET" || url.search) return null;
  const hit = stored.get(url.pathname, now);
  return hit ? served(hit, now) : null;
}

/** GET of a public document without a query: from this isolate while fresh, else from `origin`. */
export async function viaPublicCache(request: Request, origin: () => Promise<Response>, now = Date.now()): Promise<Response> {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.search) return origin();
  const hit = freshPublicDocument(request, url, now);
  if (hit) return hit;
  const response = await origin();
  const maxAge = response.status === 200 ? maxAgeOf(response.headers.get("cache-control")) : null;
  if (!maxAge) return response;
  const entry: Stored = {
    until: now + maxAge * 1000,
    status: response.status,
    headers: [...response.headers].filter(([name]) => name !== "x-request-id" && name !== "content-length" && name !== "cache-control"),
    body: await response.arrayBuffer(),
  };
  stored.set(url.pathname, entry, { now, maxAgeMs: maxAge * 1000 });
  return served(entry, now);
}
