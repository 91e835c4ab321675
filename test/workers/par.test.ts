import { createExecutionContext, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { ConfigSchema } from "@op/core";
import { providerMetadata } from "@op/rules";
import { PAR_REQUEST_URI_PREFIX, pushedRequestObject, pushedRequestReference } from "@op/storage";
import fc from "fast-check";
import { type CryptoKey, type JWK, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../packages/op-auth/src/index";
import { navigate, Browser as SharedBrowser } from "../support/browser";
import {
  Browser,
  basicAuth,
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
 * PAR (RFC 9126): the endpoint, the single-use request_uri in its Durable Object, and the
 * per-client modes. Request objects pushed here go through the same validator as at
 * /authorize (request-object.test.ts covers each of its rejections).
 */
const REDIRECT = "https://rp.example.com/cb";
const now = () => Math.floor(Date.now() / 1000);

let key: CryptoKey;
let publicJwk: JWK;
let client: RegisteredClient;

beforeAll(async () => {
  ({ key, publicJwk } = await requestObjectKey());
  client = await registerClient({ jwks: { keys: [publicJwk] } });
});

const sign = (claims: Record<string, unknown>) => signRequestObject(claims, key);

const requestParams = (extra: Record<string, string> = {}) => codeRequestParams(REDIRECT, extra);

/** POST /par authenticated with client_secret_basic (or as told). */
const push = (
  c: RegisteredClient,
  params: Record<string, string>,
  headers: Record<string, string> = { authorization: basicAuth(c.client_id, c.client_secret!) },
) => op("/par", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(params) });

async function pushed(c: RegisteredClient, params: Record<string, string>) {
  const res = await push(c, params);
  expect(res.status, await res.clone().text()).toBe(201);
  expect(res.headers.get("cache-control")).toContain("no-store");
  return res.json<{ request_uri: string; expires_in: number }>();
}

/** The first response of /authorize with a request_uri. */
const useRequestUri = (c: RegisteredClient, requestUri: string) =>
  new Browser().fetch(`/authorize?${new URLSearchParams({ client_id: c.client_id, request_uri: requestUri })}`);

function errorOf(res: Response): string | undefined {
  const location = res.headers.get("location");
  if (location?.startsWith(REDIRECT)) return new URL(location).searchParams.get("error") ?? undefined;
  if (res.status === 400 && res.headers.get("content-type")?.includes("text/html")) return "page";
  return undefined;
}

async function completeWith(c: RegisteredClient, requestUri: string, verifier: string) {
  const nav = await navigate(new Browser(), `/authorize?${new URLSearchParams({ client_id: c.client_id, request_uri: requestUri })}`);
  expect(nav.callback, nav.page?.html).toBeDefined();
  const code = nav.callback!.searchParams.get("code")!;
  expect(code, nav.callback!.href).toBeTruthy();
  const res = await redeemCode(c, code, verifier);
  expect(res.status, await res.clone().text()).toBe(200);
  return nav.callback!;
}

describe("the PAR endpoint (RFC 9126 §2)", () => {
  it("answers 201 with a request_uri and expires_in; the authorization endpoint then runs the pushed request", async () => {
    const { params, verifier } = await requestParams();
    const body = await pushed(client, params);
    expect(body.request_uri.startsWith(PAR_REQUEST_URI_PREFIX)).toBe(true);
    expect(body.expires_in).toBe(60);
    const callback = await completeWith(client, body.request_uri, verifier);
    expect(callback.searchParams.get("state")).toBe(params.state);
  });

  it("is advertised in discovery", async () => {
    const m = await (await op("/.well-known/openid-configuration")).json<Record<string, unknown>>();
    expect(m.pushed_authorization_request_endpoint).toBe(`${ISSUER}/par`);
    expect(m.require_pushed_authorization_requests).toBe(false);
    expect(m.request_parameter_supported).toBe(true);
    expect(m.request_object_signing_alg_values_supported).toEqual(["RS256", "PS256", "ES256", "none"]);
    expect(m.require_signed_request_object).toBe(false);
  });

  it("accepts a public client with PKCE (client_id only)", async () => {
    const pub = await registerClient({ token_endpoint_auth_method: "none" });
    const { params } = await requestParams();
    const res = await push(pub, { ...params, client_id: pub.client_id }, {});
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it("authenticates with private_key_jwt, the same client authentication as the token endpoint", async () => {
    const c = await registerClient({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [publicJwk] } });
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(c.client_id)
      .setSubject(c.client_id)
      .setAudience(`${ISSUER}/par`)
      .setExpirationTime("1m")
      .sign(key);
    const { params } = await requestParams();
    const res = await push(c, { ...params, client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: assertion }, {});
    expect(res.status, await res.clone().text()).toBe(201);
  });

  it.each<[string, () => Promise<Response>, number, string]>([
    ["no client authentication", async () => push(client, (await requestParams()).params, {}), 401, "invalid_client"],
    [
      "a wrong secret",
      async () => push(client, (await requestParams()).params, { authorization: basicAuth(client.client_id, "wrong") }),
      401,
      "invalid_client",
    ],
    [
      "a request_uri inside the pushed request (§2.1)",
      async () => push(client, (await requestParams({ request_uri: `${PAR_REQUEST_URI_PREFIX}x` })).params),
      400,
      "invalid_request",
    ],
    [
      "an unregistered redirect_uri",
      async () => push(client, (await requestParams({ redirect_uri: "https://evil.example.com/cb" })).params),
      400,
      "invalid_request",
    ],
    ["an unsupported response_type", async () => push(client, (await requestParams({ response_type: "token" })).params), 400, "unsupported_response_type"],
    [
      "a repeated parameter",
      async () =>
        op("/par", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
          body: "response_type=code&scope=openid&scope=email",
        }),
      400,
      "invalid_request",
    ],
    [
      "a form that is not a form",
      async () =>
        op("/par", {
          method: "POST",
          headers: { "content-type": "application/json", authorization: basicAuth(client.client_id, client.client_secret!) },
          body: "{}",
        }),
      400,
      "invalid_request",
    ],
    ["a bad request object", async () => push(client, { request: "a.b.c" }), 400, "invalid_request_object"],
  ])("refuses %s with a JSON error", async (_n, send, status, error) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = await res.json<Record<string, string>>();
    expect(body.error).toBe(error);
    expect(typeof body.error_description).toBe("string");
  });
});

describe("pushed request objects (RFC 9126 §3)", () => {
  it("a signed request object is pushed, and its parameters are the request", async () => {
    const { params, verifier } = await requestParams();
    const request = await sign({ ...params, iss: client.client_id, aud: ISSUER, client_id: client.client_id, exp: now() + 60, jti: crypto.randomUUID() });
    const body = await pushed(client, { request });
    const callback = await completeWith(client, body.request_uri, verifier);
    expect(callback.searchParams.get("state")).toBe(params.state);
  });

  it("a request object naming another client is invalid_request_object", async () => {
    const { params } = await requestParams();
    const request = await sign({ ...params, iss: client.client_id, aud: ISSUER, client_id: "someone-else" });
    const res = await push(client, { request });
    expect(res.status).toBe(400);
    expect((await res.json<Record<string, string>>()).error).toBe("invalid_request_object");
  });

  it("a client that must sign (jar_mode required) cannot push a plain request, but can push a signed object", async () => {
    const c = await registerClient({ jwks: { keys: [publicJwk] }, jar_mode: "required" });
    const { params } = await requestParams();
    const res = await push(c, params);
    expect(res.status).toBe(400);
    expect((await res.json<Record<string, string>>()).error).toBe("invalid_request");
    const ok = await push(c, { request: await sign({ ...params, iss: c.client_id, aud: ISSUER, client_id: c.client_id }) });
    expect(ok.status, await ok.clone().text()).toBe(201);
  });
});

describe("the request_uri at the authorization endpoint (RFC 9126 §4)", () => {
  it("is single use: the second use is invalid_request_uri", async () => {
    const { params } = await requestParams();
    const { request_uri } = await pushed(client, params);
    expect(errorOf(await useRequestUri(client, request_uri))).toBeUndefined();
    expect(errorOf(await useRequestUri(client, request_uri))).toBe("invalid_request_uri");
  });

  it("is bound to its client: another client gets invalid_request_uri, and the owner can still use it", async () => {
    const other = await registerClient();
    const { params } = await requestParams();
    const { request_uri } = await pushed(client, params);
    expect(errorOf(await useRequestUri(other, request_uri))).toBe("invalid_request_uri");
    expect(errorOf(await useRequestUri(client, request_uri))).toBeUndefined();
  });

  it("an unknown or malformed request_uri is invalid_request_uri", async () => {
    expect(errorOf(await useRequestUri(client, `${PAR_REQUEST_URI_PREFIX}${"A".repeat(43)}`))).toBe("invalid_request_uri");
    expect(errorOf(await useRequestUri(client, `${PAR_REQUEST_URI_PREFIX}../x`))).toBe("invalid_request_uri");
  });

  it("with several registered redirect URIs and none outside, the error is a page (no trusted redirect)", async () => {
    const c = await registerClient({ redirect_uris: [REDIRECT, "https://rp.example.com/cb2"] });
    expect(errorOf(await useRequestUri(c, `${PAR_REQUEST_URI_PREFIX}${"B".repeat(43)}`))).toBe("page");
  });

  it("expires: after its lifetime it is refused, and the alarm deletes it", async () => {
    const { params } = await requestParams();
    const { request_uri, expires_in } = await pushed(client, params);
    const stub = pushedRequestObject(env, pushedRequestReference(request_uri)!);
    expect((await stub.consume(client.client_id, Date.now() + expires_in * 1000 + 1)).status).toBe("expired");
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.consume(client.client_id)).status).toBe("unknown");
    expect(errorOf(await useRequestUri(client, request_uri))).toBe("invalid_request_uri");
  });

  it("a reuse window lets the same client use it again inside the window only (PAR_REUSE_WINDOW)", async () => {
    const stub = pushedRequestObject(env, crypto.randomUUID());
    const t = Date.now();
    expect(
      await stub.push({ clientId: "c1", params: { response_type: "code" }, resources: [], requestObject: "absent", expiresAt: t + 60_000, reuseWindow: 10 }),
    ).toBe(true);
    expect(await stub.push({ clientId: "c1", params: {}, resources: [], requestObject: "absent", expiresAt: t + 60_000, reuseWindow: 10 })).toBe(false);
    expect((await stub.consume("c1", t)).status).toBe("ok");
    expect((await stub.consume("c1", t + 5_000)).status).toBe("ok");
    expect((await stub.consume("c1", t + 10_000)).status).toBe("used");
  });

  it("20 parallel uses of one request_uri: exactly one proceeds", async () => {
    const { params } = await requestParams();
    const { request_uri } = await pushed(client, params);
    const errors = (await Promise.all(Array.from({ length: 20 }, () => useRequestUri(client, request_uri)))).map(errorOf);
    expect(errors.filter((e) => e === undefined)).toHaveLength(1);
    expect(errors.filter((e) => e === "invalid_request_uri")).toHaveLength(19);
  });
});

describe("per-client PAR modes", () => {
  it.each([
    ["require_pushed_authorization_requests", { require_pushed_authorization_requests: true }],
    ["par_mode required", { par_mode: "required" }],
  ])("%s: a direct request is invalid_request, a pushed one runs", async (_n, meta) => {
    const c = await registerClient(meta);
    const { params, verifier } = await requestParams();
    const direct = await new Browser().fetch(`/authorize?${new URLSearchParams({ ...params, client_id: c.client_id })}`);
    expect(errorOf(direct)).toBe("invalid_request");
    const { request_uri } = await pushed(c, params);
    await completeWith(c, request_uri, verifier);
  });

  it("par_mode disabled: the PAR endpoint refuses the client; direct requests run", async () => {
    const c = await registerClient({ par_mode: "disabled" });
    const { params } = await requestParams();
    const res = await push(c, params);
    expect(res.status).toBe(400);
    expect((await res.json<Record<string, string>>()).error).toBe("invalid_request");
    const direct = await new Browser().fetch(`/authorize?${new URLSearchParams({ ...params, client_id: c.client_id })}`);
    expect(errorOf(direct)).toBeUndefined();
  });
});

describe("server-wide PAR_MODE and JAR_MODE (the front Worker run with other variables)", () => {
  /** The authorization and PAR endpoints, both in op-auth, under `vars` (same Durable Objects and keys). */
  const opWith = (vars: Record<string, string>) => {
    const modified = { ...env, ...vars } as never;
    const fetchWith = (request: Request) => worker.fetch(request as never, modified, createExecutionContext());
    return {
      browser: () => new SharedBrowser(ISSUER, fetchWith),
      push: (c: RegisteredClient, params: Record<string, string>) =>
        fetchWith(
          new Request(`${ISSUER}/par`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(c.client_id, c.client_secret!) },
            body: new URLSearchParams(params),
          }),
        ),
    };
  };
  const objectClaims = (c: RegisteredClient, params: Record<string, string>) => ({
    ...params,
    client_id: c.client_id,
    iss: c.client_id,
    aud: ISSUER,
    exp: now() + 60,
    iat: now(),
    jti: crypto.randomUUID(),
  });

  it("PAR_MODE=required: a direct request is refused for every client, a pushed one runs", async () => {
    const server = opWith({ PAR_MODE: "required" });
    const c = await registerClient({ par_mode: "disabled", jwks: { keys: [publicJwk] } }); // the server's required wins
    const { params, verifier } = await requestParams();
    const direct = await server.browser().fetch(`/authorize?${new URLSearchParams({ ...params, client_id: c.client_id })}`);
    expect(errorOf(direct)).toBe("invalid_request");
    const res = await server.push(c, params);
    expect(res.status, await res.clone().text()).toBe(201);
    const { request_uri } = await res.json<{ request_uri: string }>();
    const nav = await navigate(server.browser(), `/authorize?${new URLSearchParams({ client_id: c.client_id, request_uri })}`);
    const code = nav.callback?.searchParams.get("code");
    expect(code, nav.page?.html).toBeTruthy();
    expect((await redeemCode(c, code!, verifier)).status).toBe(200);
  });

  it("PAR_MODE=disabled: /par refuses every client, and a pushed request_uri is not honoured", async () => {
    const { params } = await requestParams();
    const { request_uri } = await pushed(client, params); // pushed while PAR was on
    const server = opWith({ PAR_MODE: "disabled" });
    const res = await server.push(client, params);
    expect(res.status).toBe(400);
    expect((await res.json<Record<string, string>>()).error).toBe("invalid_request");
    const use = await server.browser().fetch(`/authorize?${new URLSearchParams({ client_id: client.client_id, request_uri })}`);
    expect(["invalid_request", "page"]).toContain(errorOf(use));
  });

  it("JAR_MODE=required: a plain or unsigned request is refused, a signed request object runs", async () => {
    const server = opWith({ JAR_MODE: "required" });
    const c = await registerClient({ jar_mode: "disabled", jwks: { keys: [publicJwk] } });
    const { params, verifier } = await requestParams();
    const plain = await server.browser().fetch(`/authorize?${new URLSearchParams({ ...params, client_id: c.client_id })}`);
    expect(errorOf(plain)).toBe("invalid_request");
    const unsigned = unsignedRequestObject(objectClaims(c, params));
    const refused = await server
      .browser()
      .fetch(
        `/authorize?${new URLSearchParams({ client_id: c.client_id, response_type: "code", scope: "openid", redirect_uri: REDIRECT, request: unsigned })}`,
      );
    expect(errorOf(refused)).toBe("invalid_request_object");
    const request = await sign(objectClaims(c, params));
    const nav = await navigate(
      server.browser(),
      `/authorize?${new URLSearchParams({ client_id: c.client_id, response_type: "code", scope: "openid", request })}`,
    );
    const code = nav.callback?.searchParams.get("code");
    expect(code, nav.page?.html).toBeTruthy();
    expect((await redeemCode(c, code!, verifier)).status).toBe(200);
  });

  it("discovery follows the server's modes: required is said, disabled is not advertised", async () => {
    const metadata = (vars: Record<string, string>) => providerMetadata(ConfigSchema.parse({ ...env, ...vars })) as Record<string, unknown>;
    const required = metadata({ PAR_MODE: "required", JAR_MODE: "required" });
    expect(required.require_pushed_authorization_requests).toBe(true);
    expect(required.require_signed_request_object).toBe(true);
    expect(required.request_object_signing_alg_values_supported).not.toContain("none");
    const off = metadata({ PAR_MODE: "disabled", JAR_MODE: "disabled" });
    expect(off.pushed_authorization_request_endpoint).toBeUndefined();
    expect(off.request_parameter_supported).toBe(false);
    expect(off.request_uri_parameter_supported).toBe(false);
    expect(off.request_object_signing_alg_values_supported).toBeUndefined();
  });

  it("JAR_MODE=disabled: request is request_not_supported and request_uri request_uri_not_supported, for every client", async () => {
    const server = opWith({ JAR_MODE: "disabled" });
    const c = await registerClient({ jwks: { keys: [publicJwk] } });
    const { params } = await requestParams();
    const request = await sign(objectClaims(c, params));
    const byValue = await server
      .browser()
      .fetch(`/authorize?${new URLSearchParams({ client_id: c.client_id, response_type: "code", scope: "openid", redirect_uri: REDIRECT, request })}`);
    expect(errorOf(byValue)).toBe("request_not_supported");
    const byReference = await server
      .browser()
      .fetch(
        `/authorize?${new URLSearchParams({ client_id: c.client_id, response_type: "code", scope: "openid", redirect_uri: REDIRECT, request_uri: "https://rp.example.com/request.jwt" })}`,
      );
    expect(errorOf(byReference)).toBe("request_uri_not_supported");
    const pushedObject = await server.push(c, { request });
    expect(pushedObject.status).toBe(400);
    expect((await pushedObject.json<Record<string, string>>()).error).toBe("request_not_supported");
  });
});

describe("fuzzing the PAR endpoint: never a 5xx", () => {
  it("random forms, request objects and credentials get a JSON 4xx or a 201", async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 100 }),
      fc.constantFrom("code", "openid", REDIRECT, "S256", "none", "a.b.c", "e30.e30.", `${PAR_REQUEST_URI_PREFIX}x`),
    );
    const form = fc.dictionary(
      fc.constantFrom(
        "response_type",
        "scope",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
        "request",
        "request_uri",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
        "max_age",
        "prompt",
        "claims",
        "resource",
      ),
      value,
    );
    const auth = fc.constantFrom<Record<string, string>>({}, { authorization: "Basic !!" }, { authorization: basicAuth("x", "y") });
    await fc.assert(
      fc.asyncProperty(form, auth, fc.boolean(), async (params, headers, valid) => {
        const res = valid ? await push(client, params) : await push(client, params, headers);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get("content-type")).toContain("application/json");
        await res.body?.cancel();
      }),
      { numRuns: 150 },
    );
  });

  it("GET /par is not served (no 5xx)", async () => {
    const res = await op("/par");
    expect(res.status).toBe(404);
  });
});
