import { env } from "cloudflare:workers";
import { parseIPv4, parseIPv6, SPECIAL_IPV4_RANGES, SPECIAL_IPV6_RANGES } from "@op/rules";
import { clientDocuments, DocumentUnavailable, type Env, FETCH_TIMEOUT_MS } from "@op/storage";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { ISSUER, op, registerClient } from "./helpers";

/**
 * The one fetcher of clients' URLs (storage/client-documents.ts), in the Workers runtime, against
 * the loopback document server (test/setup/document-server.ts). Refusals of the guard are proved
 * to happen before any connection: `fetch` is replaced by a stub that only counts and never
 * connects, so even a guard that let an address through would send nothing off this machine.
 */
const docs = inject("documentServer");
const production = { ...env, ENVIRONMENT: "production" } as Env;
const newId = () => crypto.randomUUID();
const hits = async (id: string) => ((await (await fetch(`${docs}/hits?id=${id}`)).json()) as { hits: number }).hits;

/** A kind like the real ones, its body kept as text. */
const texts = clientDocuments<string>({
  member: "jwks_uri",
  accept: "application/json",
  maxBytes: () => 64 * 1024,
  lifetime: { defaultMs: 60_000, minMs: 0, maxMs: 60_000 },
  maxEntries: 50,
  parse: (text) => text,
});
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("fetched");
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(DocumentUnavailable);
      return err as DocumentUnavailable;
    },
  );

function countingFetch() {
  const attempts: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input) => {
    attempts.push(String(input instanceof Request ? input.url : input));
    throw new Error("the counting stub never connects");
  });
  return attempts;
}
afterEach(() => {
  vi.restoreAllMocks();
});

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const v6 = (n: bigint) => `[${Array.from({ length: 8 }, (_, i) => ((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(":")}]`;
function hostsOf(cidr: string): string[] {
  const [base, bits] = cidr.split("/");
  if (base!.includes(":")) {
    const first = parseIPv6(base!)!;
    return [v6(first), v6(first | ((1n << BigInt(128 - Number(bits))) - 1n))];
  }
  const first = parseIPv4(base!)!;
  return [v4(first), v4(first + 2 ** (32 - Number(bits)) - 1)];
}

describe("the guard decides before any connection", () => {
  it("refuses every special-purpose range, every IPv4 spelling and every local-only name without calling fetch", async () => {
    const attempts = countingFetch();
    const urls = [
      ...[...SPECIAL_IPV4_RANGES, ...SPECIAL_IPV6_RANGES].flatMap((r) => hostsOf(r.cidr)).map((h) => `https://${h}/jwks`),
      "https://2130706433/",
      "https://0x7f000001/",
      "https://0177.0.0.1/",
      "https://127.1/",
      "https://2852039166/latest/meta-data/",
      "https://[::ffff:169.254.169.254]/",
      "https://[64:ff9b::a9fe:a9fe]/",
      "https://[2002:a9fe:a9fe::]/",
      "https://localhost/",
      "https://metadata.google.internal/",
      "https://printer.local/",
      "https://nas.home.arpa/",
      "https://intranet/",
      "http://rp.example.com/jwks",
      "https://user:secret@rp.example.com/jwks",
      `${ISSUER}/authorize`,
    ];
    const messages = new Set<string>();
    for (const url of urls) messages.add((await failure(texts.get(production, url, { clientId: newId() }))).message);
    expect(attempts).toEqual([]);
    expect([...messages]).toEqual(["jwks_uri could not be fetched"]);
  });

  it("in development allows loopback only, still refusing every other range first", async () => {
    const attempts = countingFetch();
    for (const url of ["http://10.0.0.1/", "https://169.254.169.254/", "http://[::ffff:7f00:1]:8080/", "http://[fd00::1]/", "http://rp.example.com/"]) {
      await failure(texts.get(env, url, { clientId: newId() }));
    }
    expect(attempts).toEqual([]);
    await failure(texts.get(env, "http://127.0.0.1:9/nobody", { clientId: newId() }));
    expect(attempts).toEqual(["http://127.0.0.1:9/nobody"]);
  });

  it("registration refuses such URLs (invalid_client_metadata) without fetching them", async () => {
    const id = newId();
    // 0.0.0.0 reaches this machine on Linux: were it fetched, the document server would count it.
    const port = new URL(docs).port;
    const leaked = `http://0.0.0.0:${port}/count?id=${id}`;
    for (const metadata of [
      { jwks_uri: "https://169.254.169.254/jwks", token_endpoint_auth_method: "private_key_jwt" },
      { jwks_uri: "https://[::ffff:7f00:1]/jwks", token_endpoint_auth_method: "private_key_jwt" },
      { jwks_uri: "https://10.0.0.1/jwks", token_endpoint_auth_method: "private_key_jwt" },
      { sector_identifier_uri: leaked, redirect_uris: ["https://rp.example.com/cb"] },
      { sector_identifier_uri: "https://[::ffff:a00:1]/s.json", redirect_uris: ["https://rp.example.com/cb"] },
      { request_uris: ["https://[64:ff9b::a00:1]/r"] },
      { request_uris: ["https://198.18.0.1/r"] },
      { request_uris: ["http://rp.example.com/r"] },
    ]) {
      const res = await op("/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], ...metadata }),
      });
      const body = (await res.json()) as { error: string; error_description: string };
      expect([res.status, body.error], JSON.stringify(metadata)).toEqual([400, "invalid_client_metadata"]);
      expect(body.error_description).toContain("is not a URL this OP fetches");
    }
    expect(await hits(id)).toBe(0);
  });
});

describe("what the fetcher refuses, all in the same words", () => {
  it("redirects (never followed), error statuses, oversized and slow documents, unreachable hosts, the budget", async () => {
    const target = newId();
    const limited = { ...env, RATE_LIMIT_FETCH_CLIENT: "1/1m" } as Env;
    const spent = newId();
    await texts.get(limited, `${docs}/doc?body=ok`, { clientId: spent });
    const causes: [string, Promise<unknown>][] = [
      ["redirect", texts.get(env, `${docs}/redirect?${new URLSearchParams({ to: `${docs}/count?id=${target}` })}`, { clientId: newId() })],
      ["404", texts.get(env, `${docs}/doc?status=404&body=secret`, { clientId: newId() })],
      ["500", texts.get(env, `${docs}/doc?status=500&body=secret`, { clientId: newId() })],
      ["Content-Length over the limit", texts.get(env, `${docs}/big?bytes=100000`, { clientId: newId() })],
      ["streamed over the limit", texts.get(env, `${docs}/stream?bytes=100000`, { clientId: newId() })],
      ["unreachable", texts.get(env, "http://127.0.0.1:9/x", { clientId: newId() })],
      ["budget spent", texts.get(limited, `${docs}/doc?body=again`, { clientId: spent })],
    ];
    const refused = await Promise.all(causes.map(([, p]) => failure(p)));
    expect(new Set(refused.map((e) => e.message))).toEqual(new Set(["jwks_uri could not be fetched"]));
    // The operator's log learns why.
    expect(refused.map((e) => e.reason)).toEqual([
      expect.stringContaining("redirected (302)"),
      "answered 404",
      "answered 500",
      "larger than 65536 bytes",
      "larger than 65536 bytes",
      expect.stringContaining("unreachable"),
      expect.stringContaining("RATE_LIMIT_FETCH_CLIENT"),
    ]);
    expect(await hits(target)).toBe(0);
  });

  it("gives up after FETCH_TIMEOUT_MS on a slow answer and on a body that stalls", async () => {
    const started = Date.now();
    const [slow, stalled] = await Promise.all([
      failure(texts.get(env, `${docs}/slow?ms=20000&body=x`, { clientId: newId() })),
      failure(texts.get(env, `${docs}/stall`, { clientId: newId() })),
    ]);
    expect(Date.now() - started).toBeLessThan(FETCH_TIMEOUT_MS + 3_000);
    for (const e of [slow, stalled]) expect([e.message, e.reason]).toEqual(["jwks_uri could not be fetched", `no answer within ${FETCH_TIMEOUT_MS} ms`]);
  }, 15_000);
});

describe("caching and the per-client budget", () => {
  it("keeps a document for its max-age, never a no-store one", async () => {
    const kept = newId();
    const url = `${docs}/count?id=${kept}&cc=${encodeURIComponent("public, max-age=60")}`;
    expect(await texts.get(env, url, { clientId: newId() })).toBe("hit #1");
    // Served from the cache, concurrently too: no request awaits another's fetch, but a kept value is shared.
    const later = await Promise.all(Array.from({ length: 5 }, () => texts.get(env, url, { clientId: newId() })));
    expect(new Set(later)).toEqual(new Set(["hit #1"]));
    expect(await hits(kept)).toBe(1);
    // reload: fetched again even while fresh
    expect(await texts.get(env, url, { clientId: newId(), reload: true })).toBe("hit #2");

    const noStore = newId();
    const uncached = `${docs}/count?id=${noStore}`;
    expect(await texts.get(env, uncached, { clientId: newId() })).toBe("hit #1");
    expect(await texts.get(env, uncached, { clientId: newId() })).toBe("hit #2");

    const short = newId();
    const shortUrl = `${docs}/count?id=${short}&cc=max-age=1`;
    expect(await texts.get(env, shortUrl, { clientId: newId() })).toBe("hit #1");
    expect(await texts.get(env, shortUrl, { clientId: newId() })).toBe("hit #1");
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await texts.get(env, shortUrl, { clientId: newId() })).toBe("hit #2");

    // Without Cache-Control the kind's default applies (here 60 s).
    const plain = newId();
    const plainUrl = `${docs}/count?id=${plain}&cc=`;
    await texts.get(env, plainUrl, { clientId: newId() });
    await texts.get(env, plainUrl, { clientId: newId() });
    expect(await hits(plain)).toBe(1);
  });

  it("charges only fetches that go out, per client, across isolates (RateLimiter)", async () => {
    const limited = { ...env, RATE_LIMIT_FETCH_CLIENT: "3/1m" } as Env;
    const client = newId();
    const id = newId();
    const url = `${docs}/count?id=${id}`; // no-store: every get is a fetch
    for (let i = 1; i <= 3; i++) expect(await texts.get(limited, url, { clientId: client })).toBe(`hit #${i}`);
    const over = await failure(texts.get(limited, url, { clientId: client }));
    expect(over.message).toBe("jwks_uri could not be fetched");
    expect(await hits(id)).toBe(3);
    // Another client is not affected, and a cached document costs nothing.
    expect(await texts.get(limited, url, { clientId: newId() })).toBe("hit #4");
    const cachedUrl = `${docs}/count?id=${newId()}&cc=max-age=60`;
    const other = newId();
    for (let i = 0; i < 5; i++) await texts.get(limited, cachedUrl, { clientId: other });
    expect(await texts.get(limited, url, { clientId: other })).toBe("hit #5");
    // A guard refusal costs nothing either: it sends nothing.
    await failure(texts.get(limited, "https://10.0.0.1/", { clientId: other }));
    expect(await texts.get(limited, url, { clientId: other })).toBe("hit #6");
  });
});

describe("jwks_uri through the fetcher", () => {
  it("a private_key_jwt client whose jwks_uri stops answering fails authentication with invalid_client", async () => {
    const c = await registerClient({ token_endpoint_auth_method: "private_key_jwt", jwks_uri: `${docs}/doc?status=404`, grant_types: ["client_credentials"] });
    const res = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: c.client_id,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.eyJpc3MiOiJ4In0.c2ln",
      }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_client");
  });
});
