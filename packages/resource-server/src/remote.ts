import { UpstreamError } from "./errors";

/** How the kit reaches the authorization server: global fetch, or a service binding's. */
export type FetchLike = (request: Request) => Promise<Response>;

export interface CacheBounds {
  /** Shortest time a document is kept, whatever its Cache-Control says (seconds). */
  minTtl: number;
  /** Longest time a document is kept (seconds). */
  maxTtl: number;
  /** Time kept when the response says nothing (seconds). */
  defaultTtl: number;
}

/** Seconds a response may be kept: its Cache-Control max-age within `bounds`; no-store/no-cache count as 0. */
export function cacheLifetime(response: Response, bounds: CacheBounds): number {
  const header = (response.headers.get("cache-control") ?? "").toLowerCase();
  let ttl = bounds.defaultTtl;
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/.test(header)) ttl = 0;
  else {
    const maxAge = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/.exec(header);
    if (maxAge) ttl = Number(maxAge[1]);
  }
  return Math.min(bounds.maxTtl, Math.max(bounds.minTtl, ttl));
}

interface Entry<T> {
  value?: T;
  fetchedAt: number;
  expiresAt: number;
  /** When the latest fetch began; a result older than the one kept is dropped. */
  attemptedAt: number;
  error?: unknown;
}

/** After a failed fetch with nothing cached, requests in the next second share its error rather than refetching. */
const FAILURE_BACKOFF_MS = 1000;

/**
 * Documents fetched from the authorization server and kept per isolate, keyed by URL, so that
 * every instance of the kit in the isolate (often one per request, made from `env`) shares them.
 * Requests share what was fetched, never a fetch in flight: workerd cancels a request that awaits
 * another request's I/O when that request ends first. A failed refresh keeps serving what was cached.
 */
export class DocumentCache<T> {
  readonly #entries = new Map<string, Entry<T>>();

  /**
   * The document at `url`: the cached one while fresh, else a new fetch. With `refreshIfOlderThan`
   * (ms), a fresh one fetched longer ago than that is refetched too (an unknown kid), at most that
   * often: a refetch begun by another request within that time serves what is cached meanwhile.
   */
  async get(url: string, load: () => Promise<{ value: T; ttl: number }>, now: number, refreshIfOlderThan?: number): Promise<T> {
    const entry = this.#entries.get(url);
    if (entry?.value !== undefined) {
      const unexpired = now < entry.expiresAt;
      const fresh = unexpired && (refreshIfOlderThan === undefined || now - entry.fetchedAt < refreshIfOlderThan);
      const refetchedLately = unexpired && refreshIfOlderThan !== undefined && now - entry.attemptedAt < refreshIfOlderThan;
      // Stale, but the last attempt failed recently: keep serving what we have rather than hammer the server.
      const retryLater = now - entry.attemptedAt < Math.max(refreshIfOlderThan ?? 0, FAILURE_BACKOFF_MS) && entry.error !== undefined;
      if (fresh || refetchedLately || retryLater) return entry.value;
    } else if (entry && entry.error !== undefined && now - entry.attemptedAt < FAILURE_BACKOFF_MS) {
      throw entry.error;
    }
    const e = entry ?? { fetchedAt: 0, expiresAt: 0, attemptedAt: 0 };
    if (!entry) this.#entries.set(url, e);
    e.attemptedAt = Math.max(e.attemptedAt, now);
    try {
      const { value, ttl } = await load();
      if (now >= e.fetchedAt) Object.assign(e, { value, fetchedAt: now, expiresAt: now + ttl * 1000, error: undefined });
      return value;
    } catch (error: unknown) {
      e.error = error;
      if (e.value !== undefined) return e.value;
      throw error;
    }
  }

  /** Forgets everything (tests). */
  clear() {
    this.#entries.clear();
  }
}

/** GETs a JSON document; an UpstreamError for anything but a 200 with JSON. */
export async function fetchJson(fetcher: FetchLike, url: string, accept: string, timeoutMs: number): Promise<{ body: unknown; response: Response }> {
  let response: Response;
  try {
    response = await fetcher(new Request(url, { headers: { accept }, signal: AbortSignal.timeout(timeoutMs) }));
  } catch (cause) {
    throw new UpstreamError(`${url} could not be fetched`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new UpstreamError(`${url} answered ${response.status}`);
  }
  try {
    return { body: await response.json(), response };
  } catch (cause) {
    throw new UpstreamError(`${url} did not answer JSON`, { cause });
  }
}
