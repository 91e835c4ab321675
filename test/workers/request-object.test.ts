import { ConfigSchema } from "@op/core";
import { checkTimes, enforceHardening, jtiToClaim, MAX_CLAIMS } from "@op/rules";
import fc from "fast-check";
import { CompactEncrypt, type CryptoKey, generateKeyPair, importJWK, type JWK } from "jose";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { navigate } from "../support/browser";
import {
  Browser,
  b64json,
  b64url,
  codeRequestParams,
  ISSUER,
  op,
  type RegisteredClient,
  redeemCode,
  registerClient,
  requestObjectKey,
  signRequestObject,
  unsignedRequestObject,
} from "./helpers";

/**
 * JAR (RFC 9101) at the authorization endpoint: `request` and `request_uri`, through the one
 * validator the PAR endpoint uses too (par.test.ts). request_uri documents are served for real by
 * test/setup/document-server.ts on loopback (the test OP runs in development).
 */
const docs = inject("documentServer");
const REDIRECT = "https://rp.example.com/cb";
const now = () => Math.floor(Date.now() / 1000);
const enc = b64json;

let key: CryptoKey;
let otherKey: CryptoKey;
let publicJwk: JWK;
let client: RegisteredClient;

beforeAll(async () => {
  ({ key, publicJwk } = await requestObjectKey());
  otherKey = (await generateKeyPair("ES256")).privateKey;
  client = await registerClient({ jwks: { keys: [publicJwk] } });
});

/** The claims of a well-formed request object for `c`, with `extra` replacing or adding claims. */
async function claimsFor(c: RegisteredClient, extra: Record<string, unknown> = {}) {
  const { params, verifier } = await codeRequestParams(REDIRECT);
  const claims: Record<string, unknown> = {
    iss: c.client_id,
    aud: ISSUER,
    client_id: c.client_id,
    ...params,
    iat: now(),
    exp: now() + 300,
    jti: crypto.randomUUID(),
    ...extra,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
  return { claims, verifier };
}

const sign = (claims: Record<string, unknown>, signer: CryptoKey | Uint8Array = key, alg = "ES256") => signRequestObject(claims, signer, alg);
const unsigned = unsignedRequestObject;

/** POSTs an authorization request (request objects can be long) and returns the first response. */
const authorizeOnce = (params: Record<string, string>) =>
  new Browser().fetch("/authorize", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(params) });

/** The error a response carries: from a redirect to the client, or "page" for an error page. */
function errorOf(res: Response): string | undefined {
  const location = res.headers.get("location");
  if (location?.startsWith(REDIRECT)) return new URL(location).searchParams.get("error") ?? undefined;
  if (res.status === 400 && res.headers.get("content-type")?.includes("text/html")) return "page";
  return undefined;
}

/** Runs the whole flow for a request object and redeems the code: the code's token response. */
async function completeWith(c: RegisteredClient, query: Record<string, string>, verifier: string) {
  const nav = await navigate(new Browser(), `/authorize?${new URLSearchParams(query)}`);
  expect(nav.callback, nav.page?.html).toBeDefined();
  const code = nav.callback!.searchParams.get("code");
  expect(code, nav.callback!.href).toBeTruthy();
  const res = await redeemCode(c, code!, verifier);
  expect(res.status, await res.clone().text()).toBe(200);
  return { callback: nav.callback!, tokens: await res.json<Record<string, any>>() };
}

describe("request objects by value (request)", () => {
  it("a signed object carries the request; only client_id (and the OIDC-required response_type, scope) stand outside", async () => {
    const { claims, verifier } = await claimsFor(client, { scope: "openid email" });
    const { callback, tokens } = await completeWith(
      client,
      { client_id: client.client_id, response_type: "code", scope: "email openid", request: await sign(claims) },
      verifier,
    );
    expect(callback.searchParams.get("state")).toBe(claims.state);
    expect(tokens.scope.split(" ").sort()).toEqual(["email", "openid"]);
  });

  it("parameters outside the object are ignored (RFC 9101 §5): state and nonce come from the object", async () => {
    const { claims, verifier } = await claimsFor(client);
    const { callback, tokens } = await completeWith(
      client,
      { client_id: client.client_id, state: "outside", nonce: "outside", request: await sign(claims) },
      verifier,
    );
    expect(callback.searchParams.get("state")).toBe(claims.state);
    expect(JSON.parse(atob(tokens.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).nonce).toBe(claims.nonce);
  });

  it("an unsigned object (alg none) is accepted where JAR is optional (oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported)", async () => {
    const { claims, verifier } = await claimsFor(client, { iss: undefined, aud: undefined });
    await completeWith(client, { client_id: client.client_id, response_type: "code", scope: "openid", request: unsigned(claims) }, verifier);
  });

  it("an object encrypted to the OP's RSA or EC key (RFC 9101 §6.1) is decrypted and verified", async () => {
    const { keys } = await (await op("/jwks")).json<{ keys: (JWK & { use: string })[] }>();
    for (const [kty, alg, encAlg] of [
      ["RSA", "RSA-OAEP-256", "A256GCM"],
      ["RSA", "RSA-OAEP", "A128CBC-HS256"],
      ["EC", "ECDH-ES+A128KW", "A128GCM"],
      ["EC", "ECDH-ES", "A256GCM"],
    ] as const) {
      const jwk = keys.find((k) => k.use === "enc" && k.kty === kty)!;
      const { claims, verifier } = await claimsFor(client);
      const jwe = await new CompactEncrypt(new TextEncoder().encode(await sign(claims)))
        .setProtectedHeader({ alg, enc: encAlg, kid: jwk.kid, cty: "JWT" })
        .encrypt(await importJWK(jwk, alg));
      await completeWith(client, { client_id: client.client_id, response_type: "code", scope: "openid", request: jwe }, verifier);
    }
  });
});

describe("request objects by reference (request_uri)", () => {
  const served = (jwt: string, extra: Record<string, string> = {}) =>
    `${docs}/doc?${new URLSearchParams({ body: jwt, type: "application/oauth-authz-req+jwt", ...extra })}`;

  /** RFC 7592 update: the request_uris name objects that name the client, so they are registered after it. */
  async function registerRequestUris(c: RegisteredClient, request_uris: string[]) {
    const { client_secret: _s, registration_access_token, registration_client_uri, client_id_issued_at: _i, client_secret_expires_at: _e, ...metadata } = c;
    const res = await op(registration_client_uri, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${registration_access_token}` },
      body: JSON.stringify({ ...metadata, client_secret: c.client_secret, request_uris }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }

  it("fetches a registered request_uri (oidcc-request-uri-unsigned, and signed)", async () => {
    const c = await registerClient({ jwks: { keys: [publicJwk] } });
    const first = await claimsFor(c, { iss: undefined, aud: undefined, jti: undefined });
    const second = await claimsFor(c);
    const unsignedUri = served(unsigned(first.claims));
    const signedUri = served(await sign(second.claims));
    await registerRequestUris(c, [unsignedUri, signedUri]);
    await completeWith(c, { client_id: c.client_id, response_type: "code", scope: "openid", request_uri: unsignedUri }, first.verifier);
    await completeWith(c, { client_id: c.client_id, response_type: "code", scope: "openid", request_uri: signedUri }, second.verifier);
  });

  it("a registered request_uri with a fragment (OIDC Core §6.2 content hash) is matched whole and fetched without it", async () => {
    const c = await registerClient({ jwks: { keys: [publicJwk] } });
    const { claims, verifier } = await claimsFor(c);
    const uri = `${served(await sign(claims))}#${crypto.randomUUID()}`;
    await registerRequestUris(c, [uri]);
    const other = uri.replace(/#.*$/, "#other");
    expect(errorOf(await authorizeOnce({ client_id: c.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", request_uri: other }))).toBe(
      "invalid_request_uri",
    );
    await completeWith(c, { client_id: c.client_id, response_type: "code", scope: "openid", request_uri: uri }, verifier);
  });

  it.each<[string, (jwt: string) => string, boolean]>([
    ["an unregistered request_uri", (jwt) => served(jwt), false],
    ["a 404", (jwt) => served(jwt, { status: "404" }), true],
    ["a redirect (never followed)", (jwt) => `${docs}/redirect?${new URLSearchParams({ to: served(jwt) })}`, true],
    ["a document over the size limit", () => `${docs}/big?bytes=100000`, true],
    ["a host nobody listens on", () => "http://127.0.0.1:9/request.jwt", true],
    ["a 500", (jwt) => served(jwt, { status: "500" }), true],
    ["a body that never ends", () => `${docs}/stall`, true],
  ])(
    "refuses %s with invalid_request_uri",
    async (_name, uriFor, register) => {
      const { claims } = await claimsFor(client);
      const uri = uriFor(await sign(claims));
      const c = register ? await registerClient({ jwks: { keys: [publicJwk] }, request_uris: [uri] }) : client;
      const res = await authorizeOnce({ client_id: c.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", state: "s", request_uri: uri });
      expect(errorOf(res)).toBe("invalid_request_uri");
      // Whatever went wrong behind the host, the client reads the same (no status or body oracle).
      if (register) expect(new URL(res.headers.get("location")!).searchParams.get("error_description")).toBe("request_uri could not be fetched");
    },
    15_000,
  );

  it("gives up on a slow request_uri (timeout) with invalid_request_uri", async () => {
    const uri = `${docs}/slow?ms=15000&body=x`;
    const c = await registerClient({ jwks: { keys: [publicJwk] }, request_uris: [uri] });
    const res = await authorizeOnce({ client_id: c.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", request_uri: uri });
    expect(errorOf(res)).toBe("invalid_request_uri");
  }, 20_000);
});

describe("each rejection is invalid_request_object, redirected to the registered redirect_uri with the outside state", () => {
  const reject = async (request: string, c = client) => {
    const res = await authorizeOnce({ client_id: c.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", state: "outside", request });
    const location = res.headers.get("location") ?? "";
    if (location.startsWith(REDIRECT)) expect(new URL(location).searchParams.get("state")).toBe("outside");
    return errorOf(res);
  };

  it.each<[string, () => Promise<string>]>([
    ["oversized", async () => "a".repeat(20_000)],
    ["expired", async () => sign((await claimsFor(client, { exp: now() - 120 })).claims)],
    ["exp too far ahead", async () => sign((await claimsFor(client, { exp: now() + 7200 })).claims)],
    ["nbf in the future", async () => sign((await claimsFor(client, { nbf: now() + 600 })).claims)],
    ["iat in the future", async () => sign((await claimsFor(client, { iat: now() + 600 })).claims)],
    ["exp not a number", async () => sign((await claimsFor(client, { exp: "soon" })).claims)],
    ["wrong aud", async () => sign((await claimsFor(client, { aud: "https://other.example.com" })).claims)],
    ["signed without aud", async () => sign((await claimsFor(client, { aud: undefined })).claims)],
    ["wrong iss", async () => sign((await claimsFor(client, { iss: "someone-else" })).claims)],
    ["signed without iss", async () => sign((await claimsFor(client, { iss: undefined })).claims)],
    ["unsigned with a wrong aud", async () => unsigned((await claimsFor(client, { aud: "https://other.example.com" })).claims)],
    ["an alg not allowed (HS256)", async () => sign((await claimsFor(client)).claims, new TextEncoder().encode("0123456789abcdef0123456789abcdef"), "HS256")],
    ["a signature by another key", async () => sign((await claimsFor(client)).claims, otherKey)],
    ["client_id inside differs", async () => sign((await claimsFor(client, { client_id: "another" })).claims)],
    ["response_type conflicts with the query", async () => sign((await claimsFor(client, { response_type: "code id_token" })).claims)],
    ["the query's scope names one the object lacks", async () => sign((await claimsFor(client, { scope: "email" })).claims)],
    ["a nested request", async () => sign((await claimsFor(client, { request: "e30.e30." })).claims)],
    ["a nested request_uri", async () => sign((await claimsFor(client, { request_uri: "https://rp.example.com/r" })).claims)],
    ["too many claims", async () => sign((await claimsFor(client, Object.fromEntries(Array.from({ length: MAX_CLAIMS }, (_, i) => [`x${i}`, "1"])))).claims)],
    ["a value too long", async () => sign((await claimsFor(client, { login_hint: "a".repeat(9000) })).claims)],
    ["a parameter of the wrong type", async () => sign((await claimsFor(client, { prompt: ["login"] })).claims)],
    ["jti not a string", async () => sign((await claimsFor(client, { jti: 42 })).claims)],
    ["not a JWT", async () => "only.two"],
    ["a header that is not JSON", async () => `${b64url(new TextEncoder().encode("{"))}.${enc({})}.`],
    ["an undecryptable JWE", async () => `${enc({ alg: "RSA-OAEP-256", enc: "A256GCM" })}.AAAA.AAAA.AAAA.AAAA`],
    ["an unsigned object with a signature part", async () => `${unsigned((await claimsFor(client)).claims)}abc`],
  ])("%s", async (_name, make) => {
    expect(await reject(await make())).toBe("invalid_request_object");
  });

  it("scope=openid outside and a wider scope inside: the object's scope is used (OIDC Core §6.1)", async () => {
    const { claims, verifier } = await claimsFor(client, { scope: "openid email" });
    const { tokens } = await completeWith(
      client,
      { client_id: client.client_id, response_type: "code", scope: "openid", request: await sign(claims) },
      verifier,
    );
    expect(tokens.scope.split(" ").sort()).toEqual(["email", "openid"]);
  });

  it("a replayed jti is refused the second time", async () => {
    const jwt = await sign((await claimsFor(client)).claims);
    expect(await reject(jwt)).toBeUndefined(); // proceeds to login
    expect(await reject(jwt)).toBe("invalid_request_object");
  });

  it("the alg registered as request_object_signing_alg is the only one accepted", async () => {
    const c = await registerClient({ jwks: { keys: [publicJwk] }, request_object_signing_alg: "RS256" });
    expect(await reject(await sign((await claimsFor(c)).claims), c)).toBe("invalid_request_object");
    expect(await reject(unsigned((await claimsFor(c)).claims), c)).toBe("invalid_request_object");
  });

  it("request and request_uri together are invalid_request", async () => {
    const res = await authorizeOnce({
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      response_type: "code",
      state: "s",
      request: "a.b.c",
      request_uri: "https://rp.example.com/r",
    });
    expect(errorOf(res)).toBe("invalid_request");
  });

  it("without a registered outside redirect_uri, a bad object gets an error page, never a redirect", async () => {
    const res = await authorizeOnce({ client_id: client.client_id, redirect_uri: "https://evil.example.com/cb", response_type: "code", request: "x.y.z" });
    expect(errorOf(res)).toBe("page");
    expect(res.headers.get("location")).toBeNull();
  });

  it("the object's redirect_uri must be registered too (error page)", async () => {
    const jwt = await sign((await claimsFor(client, { redirect_uri: "https://evil.example.com/cb" })).claims);
    const res = await authorizeOnce({ client_id: client.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", request: jwt });
    expect(errorOf(res)).toBe("page");
  });
});

describe("per-client JAR modes", () => {
  const plain = (c: RegisteredClient) =>
    authorizeOnce({
      client_id: c.client_id,
      redirect_uri: REDIRECT,
      response_type: "code",
      scope: "openid",
      state: "s",
      code_challenge: "x".repeat(43),
      code_challenge_method: "S256",
    });

  it.each([
    ["jar_mode required", { jar_mode: "required" }],
    ["require_signed_request_object", { require_signed_request_object: true }],
  ])("%s: a plain request is invalid_request, an unsigned object invalid_request_object, a signed one passes", async (_n, meta) => {
    const c = await registerClient({ jwks: { keys: [publicJwk] }, ...meta });
    expect(errorOf(await plain(c))).toBe("invalid_request");
    const send = (request: string) => authorizeOnce({ client_id: c.client_id, response_type: "code", scope: "openid", redirect_uri: REDIRECT, request });
    expect(errorOf(await send(unsigned((await claimsFor(c)).claims)))).toBe("invalid_request_object");
    const { claims, verifier } = await claimsFor(c);
    await completeWith(c, { client_id: c.client_id, response_type: "code", scope: "openid", request: await sign(claims) }, verifier);
  });

  it("jar_mode disabled: request is request_not_supported, request_uri request_uri_not_supported, plain requests pass", async () => {
    const c = await registerClient({ jwks: { keys: [publicJwk] }, jar_mode: "disabled", request_uris: ["https://rp.example.com/r"] });
    const base = { client_id: c.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", state: "s" };
    expect(errorOf(await authorizeOnce({ ...base, request: await sign((await claimsFor(c)).claims) }))).toBe("request_not_supported");
    expect(errorOf(await authorizeOnce({ ...base, request_uri: "https://rp.example.com/r" }))).toBe("request_uri_not_supported");
    expect(errorOf(await plain(c))).toBeUndefined();
  });
});

describe("registration of request object metadata (OIDC DCR §2)", () => {
  const register = async (meta: Record<string, unknown>) => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: [REDIRECT], ...meta }),
    });
    return { status: res.status, body: await res.json<Record<string, any>>() };
  };

  it.each<[string, Record<string, unknown>]>([
    ["request_uris that are not URLs", { request_uris: ["request.jwt"] }],
    ["a non-http request_uris scheme", { request_uris: ["ftp://rp.example.com/r"] }],
    ["an unsupported request_object_signing_alg", { request_object_signing_alg: "HS256" }],
    ["a signing alg without keys", { request_object_signing_alg: "ES256" }],
    ["alg none with a required signed request object", { request_object_signing_alg: "none", require_signed_request_object: true }],
  ])("refuses %s", async (_n, meta) => {
    const { status, body } = await register(meta);
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_client_metadata");
  });

  it("keeps request_uris and request_object_signing_alg", async () => {
    const { status, body } = await register({
      jwks: { keys: [publicJwk] },
      request_uris: ["https://rp.example.com/r#hash"],
      request_object_signing_alg: "ES256",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ request_uris: ["https://rp.example.com/r#hash"], request_object_signing_alg: "ES256" });
  });
});

describe("races", () => {
  it("20 parallel uses of one jti: exactly one proceeds", async () => {
    const jwt = await sign((await claimsFor(client)).claims);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => authorizeOnce({ client_id: client.client_id, response_type: "code", scope: "openid", request: jwt })),
    );
    const errors = results.map(errorOf);
    expect(errors.filter((e) => e === undefined)).toHaveLength(1);
    expect(errors.filter((e) => e === "invalid_request_object")).toHaveLength(19);
  });
});

describe("fuzzing request objects: never a 5xx", () => {
  it("truncated, re-encoded and mistyped objects get a 4xx or a redirect", async () => {
    const valid = await sign((await claimsFor(client)).claims);
    const [h, p, s] = valid.split(".") as [string, string, string];
    const json = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(fc.constantFrom("exp", "iat", "nbf", "aud", "iss", "jti", "claims", "max_age", "resource", "scope", "client_id"), fc.jsonValue()),
    );
    const segment = fc.oneof(fc.string(), fc.base64String(), json.map(enc), fc.constant(p));
    const request = fc.oneof(
      fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
      fc.tuple(segment, segment, fc.oneof(fc.constant(s), fc.constant(""), fc.string())).map(([a, b, c]) => `${a}.${b}.${c}`),
      fc.tuple(json, json).map(([hd, pl]) => `${enc(hd)}.${enc(pl)}.`),
      fc
        .tuple(fc.constantFrom(h, enc({ alg: "none" }), enc({ alg: "RSA-OAEP", enc: "A128GCM" })), segment, segment, segment, segment)
        .map((parts) => parts.join(".")),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (jwt) => {
        const res = await authorizeOnce({ client_id: client.client_id, redirect_uri: REDIRECT, response_type: "code", scope: "openid", request: jwt });
        expect(res.status).toBeLessThan(500);
        await res.body?.cancel();
      }),
      { numRuns: 150 },
    );
  });
});

describe("the mode policy where the server is not optional (pure: server settings are fixed per test run)", () => {
  const config = (PAR_MODE: string, JAR_MODE: string) => ConfigSchema.parse({ ISSUER, PAR_MODE, JAR_MODE });
  const code = (fn: () => unknown) => {
    try {
      fn();
      return "ok";
    } catch (err) {
      return (err as { error: string }).error;
    }
  };

  it.each<[string, string, Record<string, unknown>, { pushed: boolean; requestObject: "absent" | "request" | "request_uri" }, string]>([
    ["PAR required server-wide", "required", {}, { pushed: false, requestObject: "absent" }, "invalid_request"],
    ["PAR required server-wide, pushed", "required", { par_mode: "disabled" }, { pushed: true, requestObject: "absent" }, "ok"],
    ["PAR disabled server-wide", "disabled", { require_pushed_authorization_requests: true }, { pushed: true, requestObject: "absent" }, "invalid_request"],
    ["PAR disabled server-wide, direct", "disabled", { par_mode: "required" }, { pushed: false, requestObject: "absent" }, "ok"],
    ["PAR optional, client requires", "optional", { par_mode: "required" }, { pushed: false, requestObject: "absent" }, "invalid_request"],
  ])("%s", (_n, par, client, arrival, expected) => {
    expect(code(() => enforceHardening(config(par, "optional"), client, arrival))).toBe(expected);
  });

  it.each<[string, string, Record<string, unknown>, "absent" | "request" | "request_uri", string, boolean]>([
    ["JAR required server-wide, no object", "required", { jar_mode: "disabled" }, "absent", "invalid_request", true],
    ["JAR required server-wide, object", "required", {}, "request", "ok", true],
    ["JAR disabled server-wide, request", "disabled", { jar_mode: "required" }, "request", "request_not_supported", false],
    ["JAR disabled server-wide, request_uri", "disabled", {}, "request_uri", "request_uri_not_supported", false],
    ["JAR optional, client optional, unsigned allowed", "optional", {}, "request", "ok", false],
  ])("%s", (_n, jar, client, requestObject, expected, signatureRequired) => {
    expect(code(() => enforceHardening(config("optional", jar), client, { pushed: false, requestObject }))).toBe(expected);
    if (expected === "ok")
      expect(enforceHardening(config("optional", jar), client, { pushed: false, requestObject }).signatureRequired).toBe(signatureRequired);
  });

  it("REQUEST_OBJECT_REQUIRE_JTI=true demands jti and exp (REQUEST_OBJECT_MAX_LIFETIME bounds exp)", async () => {
    const strict = ConfigSchema.parse({ ISSUER, REQUEST_OBJECT_REQUIRE_JTI: "true", REQUEST_OBJECT_MAX_LIFETIME: "600" });
    expect(code(() => checkTimes({ iat: now() }, strict))).toBe("invalid_request_object");
    expect(code(() => checkTimes({ exp: now() + 601 + strict.clockSkew }, strict))).toBe("invalid_request_object");
    expect(code(() => checkTimes({ exp: now() + 300 }, strict))).toBe("ok");
    expect(code(() => jtiToClaim({ exp: now() + 60 }, strict, true))).toBe("invalid_request_object");
    const lax = ConfigSchema.parse({ ISSUER });
    expect(code(() => checkTimes({}, lax))).toBe("ok");
    expect(jtiToClaim({}, lax, true)).toBeUndefined();
  });
});
