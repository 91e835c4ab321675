import { OAUTH_ERROR_CODES } from "@op/core";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { authorize, type Browser, b64url, basicAuth, completeFlow, ISSUER, op, parseForms, type RegisteredClient, registerClient } from "./helpers";

/**
 * Property-based fuzzing of the HTTP surface. Each request starts from a valid one and gets a
 * few random mutations (a parameter replaced by a valid or broken value, dropped or repeated;
 * other credentials, Content-Type or raw bytes), so both success and every refusal are reached.
 * No endpoint may answer 5xx or a malformed error, and each property checks what a success
 * implies, so a broken request cannot quietly be accepted.
 */

const OAUTH_ERRORS = new Set<string>(OAUTH_ERROR_CODES);
const FORM = "application/x-www-form-urlencoded";
const MAX_FORM_BYTES = 64 * 1024;
const B64URL_CHARS = [..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"];

type Pair = [string, string];
const enc = new TextEncoder();
const b64json = (v: unknown) => b64url(enc.encode(JSON.stringify(v) ?? "null"));
/** Standard base64 of the UTF-8 bytes (btoa alone only takes Latin-1). */
const b64std = (s: string | Uint8Array) => btoa(String.fromCharCode(...(typeof s === "string" ? enc.encode(s) : s)));
const jwtClaimParams = (jwt: string) => {
  const claims = JSON.parse(
    new TextDecoder().decode(Uint8Array.from(atob(jwt.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")), (ch) => ch.charCodeAt(0))),
  );
  return new URLSearchParams(Object.entries(claims).filter((e): e is [string, string] => typeof e[1] === "string"));
};
const describeRes = async (res: Response) =>
  `${res.status} ${res.headers.get("content-type")} ${res.headers.get("location")?.slice(0, 300) ?? ""} ${(await res.clone().text()).slice(0, 300)}`;

/** Outcome counts, to check after each property that it reached the success paths too. */
const seen = new Map<string, number>();
const tally = (key: string) => seen.set(key, (seen.get(key) ?? 0) + 1);
const expectSeen = (...keys: string[]) => {
  for (const k of keys) expect(seen.get(k) ?? 0, `never saw "${k}": ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
};

// ---------------------------------------------------------------- shared arbitraries

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 }));
const wideChar = fc.constantFrom("a", "é", "漢", "€", "😀", "%", "+", " ");
/** Values past the schema limits (200, 2000, 8000, 20000 code units; 64 KiB bodies), ASCII and multi-byte. */
const oversized = fc
  .tuple(wideChar, fc.oneof({ weight: 6, arbitrary: fc.constantFrom(201, 2001, 8001) }, { weight: 1, arbitrary: fc.constantFrom(20_001, 70_000) }))
  .map(([c, n]) => c.repeat(n));
/** Strings just under and over a length limit in UTF-16 units, whose UTF-8 size varies with the character. */
const nearLimit = (limit: number) => fc.tuple(wideChar, fc.integer({ min: limit - 40, max: limit + 1 })).map(([c, n]) => c.repeat(n));
const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e]/g, "?");
const headerText = fc.string({ maxLength: 60 }).map(headerSafe);
const b64token = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...B64URL_CHARS), minLength, maxLength });
const randomBytes = fc.oneof(
  { weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 65_000, maxLength: 70_000 }) },
);

const jwtHeader = fc.oneof(
  fc.constantFrom<object>(
    { alg: "none" },
    { alg: "ES256", typ: "at+jwt" },
    { alg: "RS256", typ: "JWT" },
    { alg: "HS256", typ: "at+jwt" },
    { alg: "ES256", typ: "at+jwt", kid: "unknown-kid" },
    { alg: "ES256", typ: "at+jwt", crit: ["exp"] },
    { alg: "RS256", b64: false, crit: ["b64"] },
    {},
  ),
  fc.jsonValue(),
);
const jwtPayload = fc.oneof(
  fc.record(
    {
      iss: fc.constantFrom(ISSUER, "https://evil.example"),
      sub: text,
      aud: fc.constantFrom<unknown>(`${ISSUER}/userinfo`, "x", [`${ISSUER}/userinfo`]),
      scope: fc.constantFrom<unknown>("openid", "openid profile", "", 5),
      gid: b64token(22, 22),
      client_id: text,
      jti: text,
      iat: fc.integer(),
      exp: fc.oneof(fc.integer(), fc.constant(4_102_444_800)),
    },
    { requiredKeys: [] },
  ),
  fc.jsonValue(),
);
/** Three base64url segments that look like a JWT but carry no signature of ours. */
const jwtLike = fc.tuple(jwtHeader, jwtPayload, fc.uint8Array({ maxLength: 96 })).map(([h, p, s]) => `${b64json(h)}.${b64json(p)}.${b64url(s)}`);

/** A real token made invalid. Never its last character alone: its spare base64 bits may decode the same. */
function mutated(token: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.nat({ max: token.length - 1 }).map((i) => token.slice(0, i)),
    fc.tuple(fc.nat({ max: token.length - 2 }), fc.constantFrom(...B64URL_CHARS, ".")).map(([i, c]) => {
      const r = token[i] === c ? (c === "A" ? "B" : "A") : c;
      return token.slice(0, i) + r + token.slice(i + 1);
    }),
    text.map((s) => token + (s || "x")),
    fc.constant(token.split(".").reverse().join(".")),
    fc.constant(`${token.split(".").slice(0, 2).join(".")}.`),
    jwtPayload.map((p) => {
      const [h, , s] = token.split(".");
      return `${h}.${b64json(p)}.${s}`;
    }),
  );
}

/** One change to a parameter list: replace a value, drop it, repeat it, or add an unknown one. */
type Mutation = { op: "set" | "dup"; key: string; value: string } | { op: "drop"; key: string } | { op: "add"; key: string; value: string };

/** `focus` names the parameters mutated most often (those that decide which client is trusted). */
function paramMutations(pools: Record<string, fc.Arbitrary<string>>, focus: string[] = [], maxLength = 3): fc.Arbitrary<Mutation[]> {
  const keys = Object.keys(pools);
  const key = focus.length
    ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom(...focus) })
    : fc.constantFrom(...keys);
  const m = fc.oneof(
    { weight: 6, arbitrary: key.chain((key) => pools[key]!.map((value): Mutation => ({ op: "set", key, value }))) },
    { weight: 2, arbitrary: fc.constantFrom(...keys).map((key): Mutation => ({ op: "drop", key })) },
    { weight: 1, arbitrary: fc.constantFrom(...keys).chain((key) => pools[key]!.map((value): Mutation => ({ op: "dup", key, value }))) },
    { weight: 1, arbitrary: fc.tuple(text, text).map(([key, value]): Mutation => ({ op: "add", key, value })) },
  );
  return fc.array(m, { maxLength });
}

function applyMutations(pairs: Pair[], mutations: Mutation[]): Pair[] {
  let out = [...pairs];
  for (const m of mutations) {
    if (m.op === "drop") out = out.filter(([k]) => k !== m.key);
    else if (m.op === "set" && out.some(([k]) => k === m.key)) out = out.map(([k, v]): Pair => [k, k === m.key ? m.value : v]);
    else out.push([m.key, m.value]);
  }
  return out;
}

/** `arb` about once in `n` draws, else null. */
const onceIn = <T>(n: number, arb: fc.Arbitrary<T>) => fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });

/** RFC 8707 resource indicators: absolute URIs, and ones with a fragment, relative or too long. */
const resourceValue = fc.oneof(
  fc.constantFrom("https://api.example.com/", "https://api.example.com/#f", "urn:example:api", "relative/path", ""),
  fc.webUrl(),
  text,
  oversized,
);

const formContentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant<string | null>(FORM) },
  {
    weight: 3,
    arbitrary: fc.constantFrom<string | null>(
      `${FORM};charset=UTF-8`,
      "APPLICATION/X-WWW-FORM-URLENCODED",
      "text/plain",
      "application/json",
      "multipart/form-data; boundary=x",
      null,
    ),
  },
  { weight: 1, arbitrary: headerText.map<string | null>((s) => s) },
);
/** Usually the form Content-Type; now and then another one. */
const maybeOtherContentType = fc.oneof({ weight: 5, arbitrary: fc.constant<string | null>(FORM) }, { weight: 1, arbitrary: formContentType });

async function expectJsonError(res: Response, ctx: string) {
  expect(res.headers.get("content-type") ?? "", ctx).toMatch(/^application\/json/);
  const body = await res.json<Record<string, unknown>>();
  expect(typeof body.error, ctx).toBe("string");
  expect(OAUTH_ERRORS.has(body.error as string), `unknown error code ${String(body.error)} (${ctx})`).toBe(true);
  expect(typeof body.error_description, ctx).toBe("string");
  return body as { error: string; error_description: string };
}

/** Common checks for the API endpoints: no 5xx, and every error is RFC 6749 §5.2 JSON. */
async function expectApiResponse(res: Response): Promise<{ error?: string }> {
  const ctx = await describeRes(res);
  expect(res.status, ctx).toBeLessThan(500);
  if (res.status >= 400) return expectJsonError(res, ctx);
  return {};
}

// ---------------------------------------------------------------- fixtures

let A: RegisteredClient; // confidential (client_secret_basic), two redirect URIs, logged-in browser with consent
let B: RegisteredClient; // public SPA
let C: RegisteredClient; // native: private-use scheme and loopback
let D: RegisteredClient; // require_pkce, restricted scope, default_max_age 0
let E: RegisteredClient; // client_secret_post
let clients: RegisteredClient[];
let browserA: Browser;
let flowA: Awaited<ReturnType<typeof completeFlow>>;

beforeAll(async () => {
  expect(OAUTH_ERRORS.has("invalid_request") && OAUTH_ERRORS.has("invalid_client_metadata")).toBe(true);
  flowA = await completeFlow(
    { redirect_uris: ["https://rp.example.com/cb", "https://rp.example.com/cb2?x=1"] },
    // Consent to every scope, so that a request with A's session can reach code issuance
    // (offline_access is only granted on a consent page: prompt=consent, OIDC Core §11).
    { params: { scope: "openid offline_access profile email address phone", prompt: "consent" } },
  );
  A = flowA.client;
  browserA = flowA.browser;
  B = await registerClient({ token_endpoint_auth_method: "none", redirect_uris: ["https://spa.example.com/cb"] });
  C = await registerClient({
    application_type: "native",
    token_endpoint_auth_method: "none",
    redirect_uris: ["com.example.app:/oauth2redirect", "http://127.0.0.1/cb"],
  });
  D = await registerClient({ require_pkce: true, scope: "openid email", default_max_age: 0, redirect_uris: ["https://d.example.com/cb"] });
  E = await registerClient({ token_endpoint_auth_method: "client_secret_post" });
  clients = [A, B, C, D, E];
}, 30_000);

// ---------------------------------------------------------------- authorization endpoint

interface AuthorizeCase {
  base: Pair[];
  mutations: Mutation[];
  rawQuery: string | null;
  contentType: string | null;
  rawBody: Uint8Array | null;
  withSession: boolean;
}

/** A valid request for one of the registered clients, with some of the optional parameters. */
function validAuthorizeRequest(): fc.Arbitrary<Pair[]> {
  const optional = fc.uniqueArray(
    fc.oneof(
      fc.constantFrom<Pair>(
        ["prompt", "none"],
        ["prompt", "login"],
        ["prompt", "consent"],
        ["prompt", "select_account"],
        ["prompt", "login consent"],
        ["max_age", "0"],
        ["max_age", "3600"],
        ["response_mode", "query"],
        ["response_mode", "fragment"],
        ["display", "popup"],
        ["ui_locales", "fr en"],
        ["acr_values", "urn:mace:incommon:iap:bronze"],
        ["login_hint", "alice"],
        ["claims", '{"userinfo":{"email":{"essential":true}},"id_token":{"auth_time":{"essential":true}}}'],
        ["claims", '{"id_token":{"sub":{"value":"someone-else"}}}'],
      ),
      fc.constant<Pair>(["id_token_hint", flowA.tokens.id_token as string]),
    ),
    { maxLength: 3, selector: ([k]) => k },
  );
  return fc
    .record({
      client: fc.oneof({ weight: 3, arbitrary: fc.constant(A) }, { weight: 4, arbitrary: fc.constantFrom(...clients) }),
      uri: fc.nat(),
      omitUri: fc.boolean(),
      scope: fc.subarray(["profile", "email", "offline_access", "address", "phone"]).map((s) => ["openid", ...s].join(" ")),
      state: fc.option(text, { nil: undefined }),
      nonce: fc.option(text, { nil: undefined }),
      challenge: b64token(43, 128),
      optional,
    })
    .map(({ client, uri, omitUri, scope, state, nonce, challenge, optional }) => {
      const pairs: Pair[] = [["client_id", client.client_id]];
      if (!(omitUri && client.redirect_uris.length === 1)) pairs.push(["redirect_uri", client.redirect_uris[uri % client.redirect_uris.length]!]);
      pairs.push(["response_type", "code"], ["scope", scope], ["code_challenge", challenge], ["code_challenge_method", "S256"]);
      if (state !== undefined) pairs.push(["state", state]);
      if (nonce !== undefined) pairs.push(["nonce", nonce]);
      return [...pairs, ...optional];
    });
}

/** Replacement values per parameter: valid ones (of any client), near-misses and garbage. */
function authorizePools(): Record<string, fc.Arbitrary<string>> {
  const ids = clients.map((c) => c.client_id);
  const uris = clients.flatMap((c) => c.redirect_uris);
  const claimName = fc.oneof(
    fc.constantFrom("sub", "email", "name", "address", "acr", "auth_time", "toString", "__proto__", "constructor", "hasOwnProperty"),
    text,
  );
  const claimRequest = fc.oneof(
    fc.constant(null),
    fc.record(
      {
        essential: fc.oneof(fc.boolean(), fc.jsonValue()),
        value: fc.jsonValue(),
        values: fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  );
  return {
    client_id: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ids) },
      {
        weight: 2,
        arbitrary: fc.oneof(
          text,
          fc.constantFrom(...ids).map((id) => `${id} `),
          fc.constant(""),
        ),
      },
      { weight: 3, arbitrary: nearLimit(200) },
    ),
    redirect_uri: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...uris) },
      {
        weight: 3,
        arbitrary: fc
          .constantFrom(...uris)
          .chain((u) => fc.constantFrom(`${u}/`, u.toUpperCase(), `${u}#f`, `${u}?y=1`, u.replace("https:", "http:"), `${u}%20`)),
      },
      { weight: 1, arbitrary: fc.oneof(fc.webUrl(), text, oversized) },
    ),
    response_type: fc.oneof(fc.constantFrom("code", "code ", " code", "token", "id_token", "code id_token", "code code", "none", "CODE", ""), text),
    scope: fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .array(fc.constantFrom("openid", "profile", "email", "address", "phone", "offline_access", "OPENID", "foo", "constructor", "__proto__", "toString"), {
            maxLength: 5,
          })
          .map((a) => a.join(" ")),
      },
      { weight: 1, arbitrary: fc.oneof(text, oversized) },
    ),
    state: fc.oneof(text, nearLimit(2000), oversized),
    nonce: fc.oneof(text, nearLimit(500), oversized),
    prompt: fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(
            fc.array(fc.constantFrom("none", "login", "consent", "select_account", "create", "NONE", ""), { maxLength: 3 }),
            fc.constantFrom(" ", "  ", ","),
          )
          .map(([a, sep]) => a.join(sep)),
      },
      { weight: 1, arbitrary: text },
    ),
    max_age: fc.oneof(fc.nat().map(String), fc.constantFrom("0", "-1", "1.5", "1e3", " 5", "0x10", "9999999999", "99999999999", ""), text),
    claims: fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .record(
            { userinfo: fc.dictionary(claimName, claimRequest, { maxKeys: 3 }), id_token: fc.dictionary(claimName, claimRequest, { maxKeys: 3 }) },
            { requiredKeys: [] },
          )
          .map((o) => JSON.stringify(o)),
      },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          '{"userinfo":{"__proto__":{"essential":true}}}',
          '{"id_token":{"sub":{"value":5}}}',
          '{"userinfo":null}',
          "null",
          "[]",
          "{",
          '{"id_token":{"email":{"essential":"yes"}}}',
        ),
      },
      { weight: 1, arbitrary: fc.oneof(fc.json(), text, oversized) },
    ),
    code_challenge: fc.oneof(b64token(43, 128), b64token(0, 42), b64token(129, 200), text),
    code_challenge_method: fc.oneof(fc.constantFrom("S256", "plain", "s256", "RS256", ""), text),
    response_mode: fc.oneof(fc.constantFrom("query", "fragment", "form_post", "query.jwt", ""), text),
    display: fc.oneof(fc.constantFrom("page", "popup", "touch", "wap", "x"), text),
    ui_locales: text,
    acr_values: fc.oneof(text, oversized),
    login_hint: fc.oneof(text, oversized),
    id_token_hint: fc.oneof(
      fc.constantFrom(flowA.tokens.id_token as string, flowA.tokens.access_token as string),
      mutated(flowA.tokens.id_token as string),
      jwtLike,
      text,
    ),
    request: fc.oneof(jwtLike, text),
    request_uri: fc.oneof(fc.webUrl(), text),
    registration: fc.json(),
    resource: resourceValue,
  };
}

function authorizeCase(method: "GET" | "POST"): fc.Arbitrary<AuthorizeCase> {
  return fc.record({
    base: validAuthorizeRequest(),
    mutations: paramMutations(authorizePools(), ["client_id", "redirect_uri"]),
    rawQuery: method === "GET" ? onceIn(8, fc.constantFrom("%", "%zz", "%ED%A0%80", "state=%FF", "&&&==", "client_id&client_id=", "=x")) : fc.constant(null),
    contentType: maybeOtherContentType,
    rawBody: method === "POST" ? onceIn(8, randomBytes) : fc.constant(null),
    withSession: fc.boolean(),
  });
}

/** The client and redirect URI the OP may trust for this request (RFC 6749 §3.1.2, §4.1.2.1), else undefined. */
function trustedTarget(sent: URLSearchParams): { client: RegisteredClient; redirectUri: string } | undefined {
  const ids = sent.getAll("client_id");
  const uris = sent.getAll("redirect_uri");
  if (ids.length !== 1 || uris.length > 1) return undefined;
  const client = clients.find((c) => c.client_id === ids[0]);
  if (!client) return undefined;
  if (uris.length === 0) return client.redirect_uris.length === 1 ? { client, redirectUri: client.redirect_uris[0]! } : undefined;
  return client.redirect_uris.includes(uris[0]!) ? { client, redirectUri: uris[0]! } : undefined;
}

async function runAuthorize(method: "GET" | "POST", c: AuthorizeCase) {
  const pairs = applyMutations(c.base, c.mutations);
  let url = "/authorize";
  let init: RequestInit = { method };
  let sent: URLSearchParams | null;
  let tooLarge = false;
  if (method === "GET") {
    url = `/authorize?${[new URLSearchParams(pairs).toString(), c.rawQuery].filter(Boolean).join("&")}`;
    sent = new URL(`${ISSUER}${url}`).searchParams;
  } else {
    const body = c.rawBody ?? enc.encode(new URLSearchParams(pairs).toString());
    init = { method, body, headers: { "content-type": c.contentType ?? "" } };
    if (c.contentType === null) init.headers = {};
    const isForm = (c.contentType ?? "").toLowerCase().startsWith(FORM);
    tooLarge = isForm && body.byteLength > MAX_FORM_BYTES;
    sent = isForm && !tooLarge ? new URLSearchParams(new TextDecoder().decode(body)) : null;
  }
  const res = c.withSession ? await browserA.fetch(url, init) : await op(url, init);
  const ctx = await describeRes(res);
  expect(res.status, ctx).toBeLessThan(500);
  const target = sent ? trustedTarget(sent) : undefined;

  if (!target) {
    // Unknown client or redirect URI: an HTML page, never a redirect (RFC 6749 §4.1.2.1).
    expect(res.status, ctx).toBe(tooLarge ? 413 : 400);
    expect(res.headers.get("location"), ctx).toBeNull();
    expect(res.headers.get("content-type"), ctx).toMatch(/^text\/html/);
    const code = /id="error">([^<]*)</.exec(await res.text())?.[1];
    expect(code !== undefined && OAUTH_ERRORS.has(code), ctx).toBe(true);
    tally(`authorize ${method} page`);
    return;
  }

  if (res.status === 200) {
    // form_post (OAuth 2.0 Form Post Response Mode): a page whose form posts to the registered URI.
    expect(sent!.get("response_mode"), ctx).toBe("form_post");
    const form = parseForms(await res.text())[0]!;
    expect(new URL(form.action).href, ctx).toBe(new URL(target.redirectUri).href);
    expect(form.hidden.iss, ctx).toBe(ISSUER);
    tally(`authorize ${method} form_post`);
    return;
  }
  expect(res.status, ctx).toBe(303);
  const location = res.headers.get("location")!;
  if (location.startsWith(`${ISSUER}/interaction/`)) {
    expect(sent!.get("prompt"), `prompt=none must not lead to an interaction: ${ctx}`).not.toBe("none");
    tally(`authorize ${method} interaction`);
    return;
  }
  const loc = new URL(location);
  const fragment = loc.hash !== "";
  // Fragment when asked for, or by default (and instead of query) for response types that return tokens.
  const tokenType = (sent!.get("response_type") ?? "").split(" ").some((w) => w === "token" || w === "id_token");
  if (fragment) expect(sent!.get("response_mode") === "fragment" || (tokenType && sent!.get("response_mode") !== "form_post"), ctx).toBe(true);
  const sentParams = fragment ? new URLSearchParams(loc.hash.slice(1)) : loc.searchParams;
  // JARM (query.jwt in the pool): the parameters are the string claims of the one `response` JWT.
  const p = sentParams.has("response") ? jwtClaimParams(sentParams.get("response")!) : sentParams;
  expect(p.get("iss"), ctx).toBe(ISSUER);
  expect(p.get("state"), ctx).toBe(sent!.get("state"));
  const error = p.get("error");
  const code = p.get("code");
  expect((error === null) !== (code === null), `exactly one of code and error: ${ctx}`).toBe(true);
  tally(`authorize ${method} ${error === null ? "code" : "error redirect"}`);
  if (error !== null) {
    expect(OAUTH_ERRORS.has(error), ctx).toBe(true);
    expect(p.get("error_description"), ctx).not.toBeNull();
  } else {
    expect(code, ctx).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(c.withSession, `a code without a session: ${ctx}`).toBe(true);
  }
  // Once our parameters are removed, what remains must be the registered redirect URI itself.
  if (fragment) loc.hash = "";
  else for (const k of ["code", "error", "error_description", "state", "iss", "response", "session_state"]) loc.searchParams.delete(k);
  expect(loc.href, ctx).toBe(new URL(target.redirectUri).href);
}

describe("fuzz: authorization endpoint", () => {
  it("GET: never 5xx; error page when untrusted, else a redirect to the registered URI with error/iss/state", async () => {
    await fc.assert(
      fc.asyncProperty(authorizeCase("GET"), (c) => runAuthorize("GET", c)),
      { numRuns: 200 },
    );
    expectSeen("authorize GET page", "authorize GET error redirect", "authorize GET interaction", "authorize GET code");
  }, 120_000);

  it("POST form: never 5xx; error page when untrusted, else a redirect to the registered URI with error/iss/state", async () => {
    await fc.assert(
      fc.asyncProperty(authorizeCase("POST"), (c) => runAuthorize("POST", c)),
      { numRuns: 200 },
    );
    expectSeen("authorize POST page", "authorize POST error redirect", "authorize POST interaction", "authorize POST code");
  }, 120_000);
});

// ---------------------------------------------------------------- token endpoint

interface Credentials {
  header?: string;
  pairs: Pair[];
}

describe("fuzz: token endpoint", () => {
  it("never 5xx; errors are JSON with a known code; only A's real credentials ever get tokens", async () => {
    // Real codes for A (consent exists, so prompt=none issues one at once); each is consumed by its first redemption.
    const pool: { code: string; verifier: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await authorize(browserA, A, { params: { prompt: "none" } });
      const code = r.redirect?.searchParams.get("code");
      if (code) pool.push({ code, verifier: r.verifier });
    }
    expect(pool.length).toBe(20);
    const originalRefresh: string = flowA.tokens.refresh_token;
    expect(typeof originalRefresh).toBe("string");
    let liveRefresh = originalRefresh;

    const validA: Credentials = { header: basicAuth(A.client_id, A.client_secret!), pairs: [] };
    // Only A holds codes and refresh tokens, and A authenticates with client_secret_basic.
    const aHeaders = new Set([validA.header, `basic   ${b64std(`${A.client_id}:${A.client_secret}`)}`]);
    const credentials: fc.Arbitrary<Credentials> = fc.oneof(
      fc.constant<Credentials>({ header: `basic   ${b64std(`${A.client_id}:${A.client_secret}`)}`, pairs: [] }),
      fc.constant<Credentials>({ pairs: [] }),
      fc.oneof(text, mutated(A.client_secret!)).map<Credentials>((s) => ({ header: basicAuth(A.client_id, s), pairs: [] })),
      fc.constant<Credentials>({ header: basicAuth(E.client_id, E.client_secret!), pairs: [] }),
      fc.constant<Credentials>({
        pairs: [
          ["client_id", E.client_id],
          ["client_secret", E.client_secret!],
        ],
      }),
      fc.constant<Credentials>({
        pairs: [
          ["client_id", A.client_id],
          ["client_secret", A.client_secret!],
        ],
      }),
      fc.constant<Credentials>({ pairs: [["client_id", B.client_id]] }),
      fc.constant<Credentials>({ pairs: [["client_id", A.client_id]] }),
      fc.constant<Credentials>({ ...validA, pairs: [["client_id", B.client_id]] }),
      fc.constant<Credentials>({ ...validA, pairs: [["client_secret", A.client_secret!]] }),
      fc
        .oneof(
          fc.constantFrom(
            "Basic",
            "Basic ",
            "Basic !!!!",
            "Basic ====",
            `Basic ${b64std("no-colon")}`,
            `Basic ${b64std("%zz:%zz")}`,
            `Basic ${b64std(":")}`,
            `Basic ${b64std("%E0%A4%A:x")}`,
            `Basic ${b64std(`${A.client_id}:${A.client_secret}`).slice(0, -3)}`,
            `Basic ${b64std(`${A.client_id}:%ED%A0%80`)}`,
          ),
          headerText.map((s) => `Basic ${s}`),
          fc.uint8Array({ maxLength: 64 }).map((b) => `Basic ${b64std(b)}`),
          fc.tuple(fc.oneof(text, nearLimit(200)), text).map(([i, s]) => `Basic ${b64std(`${i}:${s}`)}`),
          fc.oneof(jwtLike, headerText).map((t) => `Bearer ${t}`),
        )
        .map<Credentials>((header) => ({ header, pairs: [] })),
    );
    const pools: Record<string, fc.Arbitrary<string>> = {
      grant_type: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom("authorization_code", "refresh_token") },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            "client_credentials",
            "password",
            "implicit",
            "",
            "AUTHORIZATION_CODE",
            "toString",
            "__proto__",
            "constructor",
            "hasOwnProperty",
          ),
        },
        { weight: 1, arbitrary: text },
      ),
      code: fc.oneof(fc.constantFrom(...pool.map((p) => p.code)), b64token(43, 43), mutated(pool[0]!.code), jwtLike, text, oversized),
      redirect_uri: fc.oneof(fc.constantFrom(...A.redirect_uris, `${A.redirect_uris[0]}/`, B.redirect_uris[0]!, ""), text),
      code_verifier: fc.oneof(fc.constantFrom(...pool.map((p) => p.verifier)), b64token(43, 128), b64token(0, 42), b64token(129, 140), text),
      refresh_token: fc.oneof(
        fc.constant(originalRefresh),
        mutated(originalRefresh),
        fc.tuple(b64token(22, 64), b64token(43, 43)).map(([g, s]) => `${g}.${s}`),
        fc.oneof(jwtLike, text, oversized),
      ),
      scope: fc.oneof(fc.constantFrom("openid", "openid profile", "openid offline_access profile email", "admin", "", " "), text),
      client_id: fc.oneof(fc.constantFrom(A.client_id, B.client_id, ""), text, nearLimit(200)),
      client_secret: fc.oneof(fc.constantFrom(A.client_secret!, E.client_secret!, ""), text),
      resource: resourceValue,
    };
    const tokenCase = fc.record({
      grant: fc.oneof(fc.nat({ max: pool.length - 1 }), fc.constant("refresh" as const)),
      mutations: paramMutations(pools, ["code", "code_verifier", "refresh_token"]),
      credentials: onceIn(3, credentials),
      method: fc.oneof({ weight: 12, arbitrary: fc.constant("POST") }, { weight: 1, arbitrary: fc.constantFrom("GET", "PUT", "DELETE", "PATCH") }),
      contentType: maybeOtherContentType,
      rawBody: onceIn(10, randomBytes),
    });

    await fc.assert(
      fc.asyncProperty(tokenCase, async (c) => {
        const base: Pair[] =
          c.grant === "refresh"
            ? [
                ["grant_type", "refresh_token"],
                ["refresh_token", liveRefresh],
              ]
            : [
                ["grant_type", "authorization_code"],
                ["code", pool[c.grant]!.code],
                ["redirect_uri", A.redirect_uris[0]!],
                ["code_verifier", pool[c.grant]!.verifier],
              ];
        const creds = c.credentials ?? validA;
        const pairs = applyMutations([...base, ...creds.pairs], c.mutations);
        const headers: Record<string, string> = {};
        if (c.contentType !== null) headers["content-type"] = c.contentType;
        if (creds.header !== undefined) headers.authorization = creds.header;
        const body = c.method === "GET" ? undefined : (c.rawBody ?? enc.encode(new URLSearchParams(pairs).toString()));
        const res = await op("/token", { method: c.method, headers, body });
        const ctx = await describeRes(res);
        const { error } = await expectApiResponse(res);
        tally(`token ${res.status}`);
        if (res.status === 401) {
          expect(error, ctx).toBe("invalid_client");
          expect(res.headers.get("www-authenticate"), ctx).toMatch(/^Basic realm=/);
        }
        if (res.status === 200) {
          expect(aHeaders.has(creds.header), `tokens without A's credentials: ${ctx}`).toBe(true);
          const tokens = await res.json<Record<string, unknown>>();
          expect(tokens, ctx).toMatchObject({ access_token: expect.any(String), token_type: "Bearer", expires_in: expect.any(Number) });
          expect(res.headers.get("cache-control"), ctx).toBe("no-store");
          if (typeof tokens.refresh_token === "string" && c.grant === "refresh") liveRefresh = tokens.refresh_token;
        } else {
          expect(res.status, ctx).toBeGreaterThanOrEqual(400);
        }
      }),
      { numRuns: 200 },
    );
    expectSeen("token 200", "token 400", "token 401");
  }, 120_000);
});

// ---------------------------------------------------------------- userinfo endpoint

type UserinfoMutation =
  | { op: "token"; value: string }
  | { op: "scheme"; value: string }
  | { op: "alsoOtherWay" }
  | { op: "dupBody"; value: string }
  | { op: "contentType"; value: string | null }
  | { op: "method"; value: string }
  | { op: "bytes"; value: Uint8Array }
  | { op: "extra"; value: Pair };

describe("fuzz: userinfo endpoint", () => {
  it("never 5xx; errors are JSON with a Bearer challenge; only a real openid access token gets claims", async () => {
    // Own grants: the token fuzz above may revoke A's.
    const withOpenid = await completeFlow({}, { params: { scope: "openid profile email" } });
    const noOpenid = await completeFlow({}, { params: { scope: "profile" } });
    const realAt: string = withOpenid.tokens.access_token;
    // A's token from the shared flow may still be live too (unless the token fuzz revoked its grant).
    const signingInputs = [realAt, flowA.tokens.access_token as string].map((t) => t.split(".").slice(0, 2).join("."));
    const token = fc.oneof(
      {
        weight: 1,
        arbitrary: fc.constantFrom<string>(
          realAt,
          noOpenid.tokens.access_token,
          withOpenid.tokens.id_token,
          noOpenid.tokens.refresh_token ?? "x",
          flowA.tokens.access_token,
        ),
      },
      { weight: 3, arbitrary: mutated(realAt) },
      { weight: 2, arbitrary: jwtLike },
      { weight: 1, arbitrary: fc.oneof(b64token(1, 300), text, oversized) },
    );
    const mutation: fc.Arbitrary<UserinfoMutation> = fc.oneof(
      { weight: 4, arbitrary: token.map((value) => ({ op: "token" as const, value })) },
      {
        weight: 2,
        arbitrary: fc
          .constantFrom("bearer", "Bearer  ", "trailing", "Bearer-only", "extra", "Basic", "DPoP", "twice")
          .map((value) => ({ op: "scheme" as const, value })),
      },
      { weight: 1, arbitrary: fc.constant({ op: "alsoOtherWay" as const }) },
      { weight: 1, arbitrary: token.map((value) => ({ op: "dupBody" as const, value })) },
      { weight: 1, arbitrary: formContentType.map((value) => ({ op: "contentType" as const, value })) },
      { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PUT", "DELETE").map((value) => ({ op: "method" as const, value })) },
      { weight: 1, arbitrary: randomBytes.map((value) => ({ op: "bytes" as const, value })) },
      { weight: 1, arbitrary: fc.tuple(fc.oneof(fc.constantFrom("access_token", "client_id"), text), text).map((value) => ({ op: "extra" as const, value })) },
    );
    const userinfoCase = fc.record({ via: fc.constantFrom("header GET", "header POST", "body POST"), mutations: fc.array(mutation, { maxLength: 3 }) });

    await fc.assert(
      fc.asyncProperty(userinfoCase, async (c) => {
        let method = c.via.endsWith("GET") ? "GET" : "POST";
        let t = realAt;
        let scheme = "Bearer";
        let inHeader = c.via.startsWith("header");
        let inBody = !inHeader;
        let contentType: string | null = inBody ? FORM : null;
        let bytes: Uint8Array | undefined;
        const bodyPairs: Pair[] = [];
        for (const m of c.mutations) {
          if (m.op === "token") t = m.value;
          else if (m.op === "scheme") scheme = m.value;
          else if (m.op === "alsoOtherWay") [inHeader, inBody] = [true, true];
          else if (m.op === "dupBody") bodyPairs.push(["access_token", m.value]);
          else if (m.op === "contentType") contentType = m.value;
          else if (m.op === "method") method = m.value;
          else if (m.op === "bytes") bytes = m.value;
          else bodyPairs.push(m.value);
        }
        const headers: Record<string, string> = {};
        let headerValue = "";
        if (inHeader) {
          const h = headerSafe(t);
          headerValue = (
            {
              Bearer: `Bearer ${h}`,
              bearer: `bearer ${h}`,
              "Bearer  ": `Bearer  ${h}`,
              trailing: `Bearer ${h} `,
              "Bearer-only": "Bearer",
              extra: `Bearer ${h} x`,
              Basic: `Basic ${h}`,
              DPoP: `DPoP ${h}`,
              twice: `Bearer ${h}, Bearer ${h}`,
            } as Record<string, string>
          )[scheme]!;
          headers.authorization = headerValue;
        }
        if (contentType !== null) headers["content-type"] = contentType;
        const pairs: Pair[] = [...(inBody ? [["access_token", t] as Pair] : []), ...bodyPairs];
        const body = method === "GET" ? undefined : (bytes ?? enc.encode(new URLSearchParams(pairs).toString()));
        const res = await op("/userinfo", { method, headers, body });
        const ctx = await describeRes(res);
        const { error } = await expectApiResponse(res);
        tally(`userinfo ${res.status}`);
        if (res.status === 401) {
          expect(error, ctx).toBe("invalid_token");
          expect(res.headers.get("www-authenticate"), ctx).toMatch(new RegExp(`^Bearer realm="${ISSUER}"`));
        }
        if (res.status === 200) {
          const sentText = headerValue + (body ? new TextDecoder().decode(body) : "");
          expect(
            signingInputs.some((si) => sentText.includes(si)),
            `claims without a real token: ${ctx}`,
          ).toBe(true);
          expect(typeof (await res.json<Record<string, unknown>>()).sub, ctx).toBe("string");
        }
        // Unmutated, both RFC 6750 ways (§2.1 header, §2.2 form body) must succeed.
        if (c.mutations.length === 0) expect(res.status, ctx).toBe(200);
      }),
      { numRuns: 150 },
    );
    expectSeen("userinfo 200", "userinfo 400", "userinfo 401");
  }, 120_000);
});

// ---------------------------------------------------------------- registration endpoint

const KNOWN_MEMBERS = new Set([
  "redirect_uris",
  "response_types",
  "grant_types",
  "application_type",
  "token_endpoint_auth_method",
  "client_name",
  "client_uri",
  "logo_uri",
  "policy_uri",
  "tos_uri",
  "contacts",
  "scope",
  "subject_type",
  "id_token_signed_response_alg",
  "default_max_age",
  "require_auth_time",
  "default_acr_values",
  "post_logout_redirect_uris",
  "require_pkce",
  "software_id",
  "software_version",
  "client_id",
  "client_secret",
  "registration_access_token",
  "registration_client_uri",
  "client_id_issued_at",
  "client_secret_expires_at",
]);

/** Metadata every conforming server must accept (RFC 7591 §2, OIDC DCR §2); unknown members are ignored. */
const validMetadata = fc
  .tuple(
    fc.record(
      {
        redirect_uris: fc.uniqueArray(
          fc.constantFrom("https://a.example.com/cb", "https://b.example.org/x?y=1", "http://localhost:3000/cb", "https://a.example.com/"),
          { minLength: 1, maxLength: 3 },
        ),
        response_types: fc.constant(["code"]),
        grant_types: fc.constantFrom(["authorization_code"], ["authorization_code", "refresh_token"], ["refresh_token", "authorization_code"]),
        application_type: fc.constant("web"),
        token_endpoint_auth_method: fc.constantFrom("client_secret_basic", "client_secret_post", "none"),
        client_name: fc.string({ maxLength: 200 }),
        "client_name#fr": fc.string({ unit: "grapheme", maxLength: 30 }),
        "logo_uri#en-US": fc.constant("https://a.example.com/logo-en.png"),
        client_uri: fc.constant("https://a.example.com"),
        logo_uri: fc.constant("https://a.example.com/logo.png"),
        contacts: fc.array(fc.constantFrom("ops@example.com", "x@y.z"), { maxLength: 3 }),
        scope: fc.constantFrom("openid", "openid profile email", ""),
        id_token_signed_response_alg: fc.constantFrom("RS256", "ES256"),
        default_max_age: fc.nat(),
        require_auth_time: fc.boolean(),
        require_pkce: fc.boolean(),
        default_acr_values: fc.array(fc.string(), { maxLength: 2 }),
        post_logout_redirect_uris: fc.array(fc.constant("https://a.example.com/bye"), { maxLength: 1 }),
        software_id: fc.string({ maxLength: 50 }),
      },
      { requiredKeys: ["redirect_uris"] },
    ),
    fc.dictionary(
      fc.string({ maxLength: 12 }).filter((k) => !KNOWN_MEMBERS.has(k) && !k.includes("#") && k !== "__proto__"),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 2 },
    ),
  )
  .map(([m, unknown]) => ({ ...unknown, ...m }));

const BAD_VALUES: Record<string, unknown[]> = {
  redirect_uris: [
    [],
    ["not a url"],
    ["https://x.example/#f"],
    ["http://example.com/cb"],
    ["javascript:alert(1)"],
    "https://x.example",
    [1],
    [""],
    [`https://x.example/${"a".repeat(40_000)}`],
    ["https://x.example/\ud800"],
    null,
  ],
  grant_types: [["implicit"], ["refresh_token"], "authorization_code", [], [null], ["client_credentials"], ["authorization_code", "client_credentials"]],
  response_types: [["token"], ["code id_token"], [], "code"],
  token_endpoint_auth_method: ["private_key_jwt", "", 1],
  application_type: ["native", "mobile", null],
  subject_type: ["pairwise", "public"],
  id_token_signed_response_alg: ["none", "HS256"],
  default_max_age: [-1, 1.5, 1e300, "10", Number.MAX_SAFE_INTEGER + 2],
  client_name: ["x".repeat(201), "😀".repeat(100), "\ud800", 5, null],
  "client_name#": ["x"],
  "client_name#fr-FR!": ["x"],
  "client_name#en": [5, null, { a: 1 }],
  "logo_uri#en": ["not a url", "javascript:alert(1)"],
  "client_uri#": ["https://a.example.com"],
  logo_uri: ["ftp://x.example/logo", "not a url"],
  contacts: [Array(21).fill("a@b.c"), ["x".repeat(321)], "a@b.c"],
  post_logout_redirect_uris: [["http://evil.example/"], ["nope"]],
  scope: ["x".repeat(2001), ["openid"]],
  require_pkce: ["true", 1],
};

/** Valid metadata, or valid metadata with one member replaced by a wrong (or random) value. */
const metadataBody = fc.oneof(
  { weight: 4, arbitrary: validMetadata.map((m) => ({ json: m as unknown, valid: true })) },
  {
    weight: 4,
    arbitrary: fc
      .tuple(validMetadata, fc.constantFrom(...Object.keys(BAD_VALUES)))
      .chain(([m, k]) =>
        fc.oneof(fc.constantFrom(...BAD_VALUES[k]!), fc.jsonValue({ maxDepth: 2 })).map((v) => ({ json: { ...m, [k]: v } as unknown, valid: false })),
      ),
  },
  { weight: 1, arbitrary: fc.jsonValue().map((json) => ({ json, valid: false })) },
);

describe("fuzz: registration endpoint", () => {
  it("POST /register: never 5xx; errors are JSON; conforming metadata is registered and readable", async () => {
    const registerCase = fc.record({
      contentType: fc.oneof(
        { weight: 8, arbitrary: fc.constant<string | null>("application/json") },
        { weight: 2, arbitrary: fc.constantFrom<string | null>("application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", FORM, null) },
      ),
      body: fc.oneof(
        { weight: 8, arbitrary: metadataBody },
        {
          weight: 1,
          arbitrary: fc
            .oneof(
              randomBytes,
              fc.uint8Array({ minLength: 33_000, maxLength: 34_000 }),
              fc.constantFrom(enc.encode(""), enc.encode("{"), enc.encode("\ufeff{}")),
            )
            .map((raw) => ({ raw })),
        },
      ),
      authorization: onceIn(
        5,
        fc.oneof(
          jwtLike.map((t) => `Bearer ${t}`),
          headerText,
        ),
      ),
    });
    await fc.assert(
      fc.asyncProperty(registerCase, async (c) => {
        const headers: Record<string, string> = {};
        if (c.contentType !== null) headers["content-type"] = c.contentType;
        if (c.authorization !== null) headers.authorization = c.authorization;
        const body = "raw" in c.body ? c.body.raw : enc.encode(JSON.stringify(c.body.json) ?? "null");
        const res = await op("/register", { method: "POST", headers, body });
        const ctx = await describeRes(res);
        const { error } = await expectApiResponse(res);
        tally(`register ${res.status}`);
        const conforming = "json" in c.body && c.body.valid && (c.contentType ?? "").toLowerCase().startsWith("application/json");
        if (res.status >= 400) {
          expect(["invalid_client_metadata", "invalid_redirect_uri", "invalid_request"], ctx).toContain(error);
          expect(conforming, `conforming metadata refused: ${ctx}`).toBe(false);
          return;
        }
        expect(res.status, ctx).toBe(201);
        expect("json" in c.body, ctx).toBe(true);
        const sent = (c.body as { json: Record<string, unknown> }).json;
        const info = await res.json<Record<string, any>>();
        expect(info.redirect_uris, ctx).toEqual(sent.redirect_uris ?? []);
        expect(typeof info.client_id, ctx).toBe("string");
        expect(typeof info.registration_access_token, ctx).toBe("string");
        expect(res.headers.get("location"), ctx).toBe(info.registration_client_uri);
        expect(typeof info.client_secret === "string", ctx).toBe((sent.token_endpoint_auth_method ?? "client_secret_basic") !== "none");
        const read = await op(`/register/${encodeURIComponent(info.client_id)}`, { headers: { authorization: `Bearer ${info.registration_access_token}` } });
        expect(read.status, await describeRes(read)).toBe(200);
        expect((await read.json<Record<string, unknown>>()).client_id).toBe(info.client_id);
      }),
      { numRuns: 150 },
    );
    expectSeen("register 201", "register 400");
  }, 120_000);

  it("GET/PUT/DELETE /register/:id: never 5xx; errors are JSON; only the client's own token manages it", async () => {
    // Dedicated clients: a fuzzed PUT may rewrite them.
    const M = await registerClient({ redirect_uris: ["https://m.example.com/cb"] });
    const N = await registerClient({ redirect_uris: ["https://n.example.com/cb"] });
    const managed = [M, N];
    // "." and ".." are path segments the URL parser resolves away.
    const pathId = (s: string) => s !== "." && s !== "..";
    const target = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...managed).map((k) => ({ id: k.client_id, enc: true })) },
      {
        weight: 2,
        arbitrary: fc
          .oneof(text, nearLimit(200), oversized)
          .filter(pathId)
          .map((id) => ({ id: wellFormed(id), enc: true })),
      },
      { weight: 1, arbitrary: fc.constantFrom("%", "%zz", "%ED%A0%80", "a/b", "%2F", "", "%00").map((id) => ({ id, enc: false })) },
    );
    // "own" is the targeted client's own registration access token, filled in when sending.
    const auth = fc.oneof(
      { weight: 6, arbitrary: fc.constant("own") },
      { weight: 1, arbitrary: fc.constantFrom(M, N, A, B).map((k) => `Bearer ${k.registration_access_token}`) },
      { weight: 2, arbitrary: fc.oneof(mutated(M.registration_access_token), jwtLike, b64token(1, 100)).map((t) => `Bearer ${t}`) },
      { weight: 1, arbitrary: fc.oneof(headerText, fc.constantFrom("Bearer", "Bearer ", `Basic ${b64std(`${M.client_id}:${M.client_secret}`)}`)) },
      { weight: 1, arbitrary: fc.constant(null) },
    );
    // "$id" and "$secret" stand for the targeted client's own values, filled in when sending.
    const updateBody = fc.oneof(
      { weight: 3, arbitrary: validMetadata.map((m) => ({ json: { ...m, client_id: "$id", token_endpoint_auth_method: "client_secret_basic" } as unknown })) },
      {
        weight: 4,
        arbitrary: fc
          .record({
            meta: metadataBody,
            clientId: fc.oneof(
              { weight: 4, arbitrary: fc.constant<unknown>("$id") },
              { weight: 1, arbitrary: fc.constantFrom<unknown>(A.client_id, undefined, 5) },
            ),
            secret: fc.constantFrom<unknown>(undefined, undefined, "$secret", "wrong", 5),
            forbidden: onceIn(4, fc.constantFrom("registration_access_token", "registration_client_uri", "client_id_issued_at", "client_secret_expires_at")),
            // A switch to "none" is refused; keep most updates confidential so some succeed.
            authMethod: fc.constantFrom<unknown>("client_secret_basic", "client_secret_basic", "client_secret_post", "none"),
          })
          .map(({ meta, clientId, secret, forbidden, authMethod }) => {
            const m = meta.json;
            if (!m || typeof m !== "object" || Array.isArray(m)) return { json: m };
            const out: Record<string, unknown> = { ...m, token_endpoint_auth_method: authMethod, client_id: clientId, client_secret: secret };
            if (forbidden) out[forbidden] = "x";
            return { json: out as unknown };
          }),
      },
      { weight: 1, arbitrary: randomBytes.map((raw) => ({ raw })) },
    );
    const manageCase = fc.record({
      method: fc.oneof({ weight: 10, arbitrary: fc.constantFrom("GET", "PUT", "DELETE") }, { weight: 1, arbitrary: fc.constantFrom("POST", "PATCH") }),
      target,
      auth,
      contentType: fc.oneof(
        { weight: 5, arbitrary: fc.constant<string | null>("application/json") },
        { weight: 1, arbitrary: fc.constantFrom<string | null>("text/plain", null) },
      ),
      body: updateBody,
    });

    await fc.assert(
      fc.asyncProperty(manageCase, async (c) => {
        const owner = c.target.enc ? managed.find((k) => k.client_id === c.target.id) : undefined;
        let header = c.auth === "own" ? `Bearer ${(owner ?? M).registration_access_token}` : c.auth;
        const ownToken = owner !== undefined && header === `Bearer ${owner.registration_access_token}`;
        // Never DELETE with the client's own token: every client must survive the run (checked below).
        if (ownToken && c.method === "DELETE") header = `Bearer ${"A".repeat(43)}`;
        const headers: Record<string, string> = {};
        if (header !== null) headers.authorization = headerSafe(header);
        if (c.contentType !== null) headers["content-type"] = c.contentType;
        const fill = (_k: string, v: unknown) => (v === "$id" ? c.target.id : v === "$secret" ? (owner?.client_secret ?? "none") : v);
        const body = "raw" in c.body ? c.body.raw : enc.encode(JSON.stringify(c.body.json, fill) ?? "null");
        const path = `/register/${c.target.enc ? encodeURIComponent(c.target.id) : c.target.id}`;
        const res = await op(path, { method: c.method, headers, body: c.method === "GET" || c.method === "DELETE" ? undefined : body });
        const ctx = await describeRes(res);
        const { error } = await expectApiResponse(res);
        tally(`manage ${c.method} ${res.status}`);
        if (res.status === 401) {
          expect(error, ctx).toBe("invalid_token");
          expect(res.headers.get("www-authenticate"), ctx).toMatch(/^Bearer realm=/);
        }
        if (res.status < 300) {
          expect(ownToken && (c.method === "GET" || c.method === "PUT"), `managed without its token: ${ctx}`).toBe(true);
          expect((await res.json<Record<string, unknown>>()).client_id, ctx).toBe(c.target.id);
        }
        if (ownToken && c.method === "GET") expect(res.status, ctx).toBe(200);
      }),
      { numRuns: 150 },
    );
    expectSeen("manage GET 200", "manage PUT 200", "manage PUT 400", "manage DELETE 401");
    for (const k of [M, N, A, B]) {
      const still = await op(`/register/${k.client_id}`, { headers: { authorization: `Bearer ${k.registration_access_token}` } });
      expect(still.status, await describeRes(still)).toBe(200);
    }
  }, 120_000);
});
