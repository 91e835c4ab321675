import { type Config, getConfig, isolateCache, OAuthError } from "@op/core";
import { type BackchannelAnswer, documentLifetime, fetchRefusal } from "@op/rules";
import type { Env } from "./env";
import { enforceRateLimit } from "./rate-limits";

/**
 * The one way the OP fetches a URL a client gave it (jwks_uri, request_uri,
 * sector_identifier_uri, and any later one), and, in `postToClient` below, the one way it POSTs
 * to one (backchannel_logout_uri): nothing else in the OP calls `fetch` on a client's URL. In
 * order:
 *
 * 1. The guard (`@op/rules` fetch-guard.ts: https only outside development, no special-purpose
 *    IP literal, no local-only name) decides on the URL before anything is sent.
 * 2. This isolate's copy, if the document is still fresh (its Cache-Control within the kind's
 *    bounds); concurrent misses each fetch (no request awaits another's I/O).
 * 3. The client's budget (`fetch:client`, RATE_LIMIT_FETCH_CLIENT per client, counted by the
 *    RateLimiter object, so across isolates): only fetches that go out count. At registration,
 *    before the client exists, there is no client to charge; registration's own per-address
 *    limit bounds those (one sector_identifier_uri fetch per registration).
 * 4. One GET with only an `Accept` header (no cookies or credentials: a Worker's fetch keeps no
 *    cookie jar and we add no `Authorization`), redirects not followed (`redirect: "manual"`:
 *    a redirect could lead anywhere the guard would refuse, so it is a refusal), answered 200
 *    within FETCH_TIMEOUT_MS overall (headers and body), and the body read up to the kind's
 *    size limit as it streams.
 *
 * Every refusal, whatever its cause (the guard, the budget, the network, a status, a redirect,
 * the size, the time), reaches the client as the same "<member> could not be fetched", so a
 * client cannot use the OP to learn what answers behind a host; the cause is in `reason`, for
 * the operator's log (callers put it into their error's `debug`).
 */
export const FETCH_TIMEOUT_MS = 5_000;

export class DocumentUnavailable extends Error {
  constructor(
    readonly member: string,
    /** For the operator's log only. */
    readonly reason: string,
  ) {
    super(`${member} could not be fetched`);
    this.name = "DocumentUnavailable";
  }
}

export interface ClientDocumentKind<T> {
  /** The client metadata member the URL comes from; it names the document in errors. */
  member: "jwks_uri" | "sector_identifier_uri" | "request_uri";
  accept: string;
  maxBytes: (config: Config) => number;
  /** How long a fetched document is kept: `Cache-Control` max-age within [minMs, maxMs], defaultMs without one; no-store/no-cache: not kept. */
  lifetime: { defaultMs: number; minMs: number; maxMs: number };
  /** Documents of this kind kept per isolate (bound the memory: maxEntries × the size limit). */
  maxEntries: number;
  /** The document as its caller uses it; throwing refuses the content (the error reaches the caller, nothing is kept). */
  parse(text: string): T;
}

export interface FetchOptions {
  /** The client whose budget pays for a fetch; null only while registering a client that does not exist yet. */
  clientId: string | null;
  /** Fetch again even if a fresh copy is kept (e.g. a key set lacking the wanted kid); the budget still applies. */
  reload?: boolean;
}

export interface ClientDocuments<T> {
  get(env: Env, uri: string, opts: FetchOptions): Promise<T>;
}

/** Documents of one kind, each with its own isolate cache (`client-documents:<member>`). */
export function clientDocuments<T>(kind: ClientDocumentKind<T>): ClientDocuments<T> {
  const kept = isolateCache<string, { value: T; lifetimeMs: number }>({
    name: `client-documents:${kind.member}`,
    maxEntries: kind.maxEntries,
    maxAgeMs: kind.lifetime.maxMs,
  });
  return {
    async get(env, uri, { clientId, reload = false }) {
      const config = getConfig(env);
      const refusal = fetchRefusal(uri, config);
      if (refusal) throw new DocumentUnavailable(kind.member, `refused before any connection: ${refusal}`);
      // Keyed by the URL as registered, fragment included: OIDC Core §6.2 changes the fragment to say the content changed.
      const entry = await kept.getOrLoad(
        uri,
        async () => {
          await spendBudget(env, kind.member, clientId);
          const { text, cacheControl } = await fetchBounded(uri, kind, config);
          return { value: kind.parse(text), lifetimeMs: documentLifetime(cacheControl, kind.lifetime) };
        },
        { maxAgeMs: (e) => e.lifetimeMs, reload: reload ? () => true : undefined },
      );
      return entry.value;
    },
  };
}

async function spendBudget(env: Env, member: string, clientId: string | null): Promise<void> {
  if (clientId === null) return;
  try {
    await enforceRateLimit(env, "fetch:client", clientId);
  } catch (err) {
    if (err instanceof OAuthError && err.status === 429)
      throw new DocumentUnavailable(member, `client ${clientId} spent its fetch budget (RATE_LIMIT_FETCH_CLIENT)`);
    throw err;
  }
}

async function fetchBounded(uri: string, kind: ClientDocumentKind<unknown>, config: Config): Promise<{ text: string; cacheControl: string | null }> {
  const target = new URL(uri);
  target.hash = ""; // OIDC Core §6.2: the fragment is for the OP, not the server
  const refuse = (reason: string) => new DocumentUnavailable(kind.member, reason);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), FETCH_TIMEOUT_MS);
  const timedOut = new Promise<never>((_, reject) => abort.signal.addEventListener("abort", () => reject(refuse(`no answer within ${FETCH_TIMEOUT_MS} ms`))));
  timedOut.catch(() => {}); // observed only when a read is racing it
  try {
    let res: Response;
    try {
      res = await Promise.race([fetch(target.href, { method: "GET", headers: { accept: kind.accept }, redirect: "manual", signal: abort.signal }), timedOut]);
    } catch (err) {
      throw err instanceof DocumentUnavailable ? err : refuse(`unreachable: ${String(err)}`);
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => {});
      throw refuse(res.status >= 300 && res.status < 400 ? `redirected (${res.status}); redirects are not followed` : `answered ${res.status}`);
    }
    const maxBytes = kind.maxBytes(config);
    const text = await readBounded(res, maxBytes, timedOut, refuse);
    return { text, cacheControl: res.headers.get("cache-control") };
  } finally {
    clearTimeout(timer);
  }
}

async function readBounded(res: Response, maxBytes: number, timedOut: Promise<never>, refuse: (reason: string) => DocumentUnavailable): Promise<string> {
  const tooLarge = () => refuse(`larger than ${maxBytes} bytes`);
  if (Number(res.headers.get("content-length") ?? 0) > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timedOut]);
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw tooLarge();
      chunks.push(value);
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    throw err instanceof DocumentUnavailable ? err : refuse(`unreadable: ${String(err)}`);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

export type PostResult = { answer: BackchannelAnswer } | { refused: string };

/**
 * One POST of an application/x-www-form-urlencoded body to a URL a client registered (OIDC
 * Back-Channel Logout §2.5: the logout token to backchannel_logout_uri). The same guard as every
 * fetch first (`fetchRefusal`, before any connection), the same request rules: no cookies or
 * credentials, redirects not followed, FETCH_TIMEOUT_MS for the answer's status; its body is left
 * unread (cancelled), so a relying party can neither hold the OP nor make it buffer. Not cached
 * and not charged to the client's fetch budget: each POST is a logout the user or the operator
 * asked for, which a relying party's other traffic must not be able to stop. What the answer
 * means (delivered, retry, give up) is the caller's (rules/logout.ts backchannelOutcome).
 */
export async function postToClient(config: Pick<Config, "development" | "issuer">, uri: string, form: Record<string, string>): Promise<PostResult> {
  const refusal = fetchRefusal(uri, config);
  if (refusal) return { refused: `refused before any connection: ${refusal}` };
  const target = new URL(uri);
  target.hash = "";
  try {
    const res = await fetch(target.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "*/*" },
      body: new URLSearchParams(form),
      redirect: "manual",
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => {});
    return { answer: res.status };
  } catch (err) {
    const name = (err as { name?: string }).name;
    return { answer: name === "TimeoutError" || name === "AbortError" ? "timeout" : "unreachable" };
  }
}
