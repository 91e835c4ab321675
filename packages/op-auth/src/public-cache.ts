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

const stored = new Map<string, Stored>();

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
  const hit = stored.get(url.pathname);
  return hit && now < hit.until ? served(hit, now) : null;
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
  if (stored.has(url.pathname) || stored.size < 16) stored.set(url.pathname, entry); // a handful of paths; anything else is not kept
  return served(entry, now);
}
