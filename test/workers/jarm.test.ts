import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { ConfigSchema } from "@op/core";
import { providerMetadata } from "@op/rules";
import { compactDecrypt, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../packages/op-auth/src/index";
import { navigate, Browser as SharedBrowser } from "../support/browser";
import { authorize, Browser, basicAuth, ISSUER, op, parseForms, type RegisteredClient, redeemCode, registerClient } from "./helpers";

/**
 * JARM (JWT Secured Authorization Response Mode): every response mode for code and for
 * token-returning types, errors as JWTs, signatures checked against the OP's published keys,
 * encryption to the client's key, and the per-client and server-wide modes.
 */

const TOKEN_TYPES = ["code", "code id_token", "id_token token", "code id_token token"];
let sigJwks: JSONWebKeySet;
let browser: Browser;
let client: RegisteredClient;

beforeAll(async () => {
  const all = await (await op("/jwks")).json<JSONWebKeySet>();
  sigJwks = { keys: all.keys.filter((k) => k.use === "sig") };
  client = await registerClient({ response_types: TOKEN_TYPES, grant_types: ["authorization_code", "implicit", "refresh_token"] });
  browser = new Browser();
  await authorize(browser, client); // log in and consent once
});

/** Where the response JWT travelled, and the JWT. */
function responseOf(r: { redirect?: URL; page?: string; status?: number }): { transport: "query" | "fragment" | "form_post"; jwt: string; others: string[] } {
  if (r.redirect) {
    const fragment = r.redirect.hash !== "";
    const p = fragment ? new URLSearchParams(r.redirect.hash.slice(1)) : r.redirect.searchParams;
    return { transport: fragment ? "fragment" : "query", jwt: p.get("response")!, others: [...p.keys()].filter((k) => k !== "response") };
  }
  const form = parseForms(r.page ?? "")[0];
  if (!form) throw new Error(`no redirect and no form: ${r.status} ${r.page}`);
  return { transport: "form_post", jwt: form.hidden.response!, others: Object.keys(form.hidden).filter((k) => k !== "response") };
}

/** JARM §2.4 as a client does it: signature by the OP's key named by kid, iss, aud, exp. */
async function verifyResponse(jwt: string, audience: string, alg = "RS256") {
  const header = decodeProtectedHeader(jwt);
  expect(header.alg).toBe(alg);
  // Deterministic kid: the OP's active key for the alg (the JWKS lists active keys first).
  expect(header.kid).toBe(sigJwks.keys.find((k) => k.alg === alg)!.kid);
  const { payload } = await jwtVerify(jwt, createLocalJWKSet(sigJwks), { issuer: ISSUER, audience, algorithms: [alg] });
  const now = Math.floor(Date.now() / 1000);
  expect(payload.exp! - now).toBeGreaterThanOrEqual(110);
  expect(payload.exp! - now).toBeLessThanOrEqual(120);
  return payload as Record<string, unknown>;
}

describe("JARM response modes (JARM §2.3)", () => {
  it.each<[string, string, "query" | "fragment" | "form_post"]>([
    ["code", "query.jwt", "query"],
    ["code", "fragment.jwt", "fragment"],
    ["code", "form_post.jwt", "form_post"],
    ["code", "jwt", "query"],
    ["code id_token", "fragment.jwt", "fragment"],
    ["code id_token", "form_post.jwt", "form_post"],
    ["code id_token", "jwt", "fragment"],
    ["id_token token", "fragment.jwt", "fragment"],
    ["id_token token", "form_post.jwt", "form_post"],
    ["id_token token", "jwt", "fragment"],
  ])("%s with %s: one signed `response` parameter, by %s", async (type, mode, transport) => {
    const r = await authorize(browser, client, { params: { response_type: type, response_mode: mode, state: "s-1" } });
    const res = responseOf(r);
    expect(res.transport).toBe(transport);
    expect(res.others).toEqual([]); // JARM §2.3: nothing outside the JWT, not even iss (RFC 9207 §2.4)
    const claims = await verifyResponse(res.jwt, client.client_id);
    expect(claims.state).toBe("s-1");
    const words = type.split(" ");
    expect(typeof claims.code === "string").toBe(words.includes("code"));
    expect(typeof claims.id_token === "string").toBe(words.includes("id_token"));
    expect(typeof claims.access_token === "string").toBe(words.includes("token"));
    if (words.includes("token")) expect(claims).toMatchObject({ token_type: "Bearer", expires_in: expect.stringMatching(/^\d+$/) });
    if (words.includes("code")) {
      const tokens = await redeemCode(client, claims.code as string, r.verifier);
      expect(tokens.status).toBe(200);
    }
  });

  it("signs with the client's authorization_signed_response_alg (ES256), always with the same active key", async () => {
    const es = await registerClient({ authorization_signed_response_alg: "ES256" });
    expect(es.authorization_signed_response_alg).toBe("ES256");
    const kids = new Set<string | undefined>();
    for (let i = 0; i < 2; i++) {
      const { jwt } = responseOf(await authorize(browser, es, { params: { response_mode: "jwt" } }));
      await verifyResponse(jwt, es.client_id, "ES256");
      kids.add(decodeProtectedHeader(jwt).kid);
    }
    expect(kids.size).toBe(1);
  });

  it("refuses query.jwt for token-returning types unless encrypted (JARM §2.3.1), answering in fragment.jwt", async () => {
    const r = await authorize(browser, client, { params: { response_type: "code id_token", response_mode: "query.jwt", state: "q" } });
    const res = responseOf(r);
    expect(res.transport).toBe("fragment");
    const claims = await verifyResponse(res.jwt, client.client_id);
    expect(claims).toMatchObject({ error: "invalid_request", state: "q", iss: ISSUER });
    expect(claims.error_description).toContain("query.jwt");
    expect(claims.code).toBeUndefined();
  });

  it("the plain modes are untouched", async () => {
    const r = await authorize(browser, client, { params: { response_mode: "query" } });
    expect(r.redirect!.searchParams.get("code")).toBeTruthy();
    expect(r.redirect!.searchParams.get("iss")).toBe(ISSUER);
    expect(r.redirect!.searchParams.has("response")).toBe(false);
  });
});

describe("JARM error responses", () => {
  it("an error found by the checks is a signed JWT in the requested mode", async () => {
    for (const [mode, transport] of [
      ["query.jwt", "query"],
      ["fragment.jwt", "fragment"],
      ["form_post.jwt", "form_post"],
      ["jwt", "query"],
    ] as const) {
      const r = await authorize(browser, client, { params: { response_mode: mode, code_challenge_method: "plain", state: "e" } });
      const res = responseOf(r);
      expect(res.transport).toBe(transport);
      expect(res.others).toEqual([]);
      expect(await verifyResponse(res.jwt, client.client_id)).toMatchObject({ error: "invalid_request", state: "e", iss: ISSUER });
    }
  });

  it("an error before the response type is checked still goes out as a JWT (unsupported type, duplicate parameter)", async () => {
    const bad = await authorize(browser, client, { params: { response_type: "code banana", response_mode: "jwt", state: "t" } });
    expect(await verifyResponse(responseOf(bad).jwt, client.client_id)).toMatchObject({ error: "unsupported_response_type", state: "t" });
    const res = await browser.fetch(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", response_mode: "query.jwt", scope: "openid", state: "d" })}&scope=email`,
    );
    const location = new URL(res.headers.get("location")!);
    expect([...location.searchParams.keys()]).toEqual(["response"]);
    expect(await verifyResponse(location.searchParams.get("response")!, client.client_id)).toMatchObject({ error: "invalid_request", state: "d" });
  });

  it("login_required for prompt=none, and access_denied from the consent page, are JWTs", async () => {
    const r = await authorize(new Browser(), client, { params: { response_mode: "fragment.jwt", prompt: "none", state: "n" } });
    expect(await verifyResponse(responseOf(r).jwt, client.client_id)).toMatchObject({ error: "login_required", state: "n" });
    const fresh = await registerClient();
    const denied = await authorize(browser, fresh, { params: { response_mode: "form_post.jwt", state: "c" }, consent: "deny" });
    expect(await verifyResponse(responseOf(denied).jwt, fresh.client_id)).toMatchObject({ error: "access_denied", state: "c" });
  });

  it("an unknown response mode is unsupported_response_mode, in the plain default mode", async () => {
    const r = await authorize(browser, client, { params: { response_mode: "web_message", state: "u" } });
    expect(r.redirect!.searchParams.get("error")).toBe("unsupported_response_mode");
    expect(r.redirect!.searchParams.get("state")).toBe("u");
  });
});

describe("encrypted JARM responses (JARM §2.2)", () => {
  async function encryptingClient(alg: string, enc: string | undefined, kty: "RSA" | "EC") {
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(kty === "EC" ? { crv: "P-256" } : {}) });
    const jwk: JWK = { ...(await exportJWK(publicKey)), use: "enc", kid: `enc-${kty}` };
    const c = await registerClient({
      response_types: TOKEN_TYPES,
      grant_types: ["authorization_code", "implicit"],
      jwks: { keys: [jwk] },
      authorization_encrypted_response_alg: alg,
      ...(enc ? { authorization_encrypted_response_enc: enc } : {}),
    });
    return { c, privateKey };
  }

  it.each<[string, string | undefined, "RSA" | "EC", string]>([
    ["RSA-OAEP-256", undefined, "RSA", "A128CBC-HS256"],
    ["ECDH-ES", "A256GCM", "EC", "A256GCM"],
  ])("%s: a JWE to the client's key around the OP-signed JWT", async (alg, enc, kty, expectedEnc) => {
    const { c, privateKey } = await encryptingClient(alg, enc, kty);
    const r = await authorize(browser, c, { params: { response_mode: "jwt", state: "x" } });
    const { jwt } = responseOf(r);
    expect(jwt.split(".")).toHaveLength(5);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg, enc: expectedEnc, kid: `enc-${kty}`, cty: "JWT" });
    const { plaintext } = await compactDecrypt(jwt, privateKey);
    const claims = await verifyResponse(new TextDecoder().decode(plaintext), c.client_id);
    expect(claims).toMatchObject({ state: "x", code: expect.any(String) });
  });

  it("allows query.jwt for token-returning types once encrypted", async () => {
    const { c, privateKey } = await encryptingClient("RSA-OAEP", undefined, "RSA");
    const r = await authorize(browser, c, { params: { response_type: "code id_token token", response_mode: "query.jwt" } });
    expect(r.redirect!.hash).toBe("");
    const { plaintext } = await compactDecrypt(r.redirect!.searchParams.get("response")!, privateKey);
    const claims = await verifyResponse(new TextDecoder().decode(plaintext), c.client_id);
    expect(claims).toMatchObject({ code: expect.any(String), id_token: expect.any(String), access_token: expect.any(String) });
  });

  it("a client whose keys cannot be reached gets an error page, never a plain or unencrypted redirect", async () => {
    const c = await registerClient({ jwks_uri: "http://127.0.0.1:9/jwks", authorization_encrypted_response_alg: "RSA-OAEP" });
    const r = await authorize(browser, c, { params: { response_mode: "query.jwt" } });
    expect(r.redirect).toBeUndefined();
    expect(r.status).toBe(400);
    expect(r.page).toContain("invalid_client");
  });
});

describe("per-client JARM modes (jarm_mode)", () => {
  it("required: no response_mode means jwt; a plain mode is refused, as a JWT", async () => {
    const c = await registerClient({ jarm_mode: "required" });
    const ok = responseOf(await authorize(browser, c, { params: { state: "r" } }));
    expect(ok.transport).toBe("query");
    expect(await verifyResponse(ok.jwt, c.client_id)).toMatchObject({ code: expect.any(String), state: "r" });
    for (const [mode, transport] of [
      ["query", "query"],
      ["fragment", "fragment"],
      ["form_post", "form_post"],
    ] as const) {
      const refused = responseOf(await authorize(browser, c, { params: { response_mode: mode, state: "p" } }));
      expect(refused.transport).toBe(transport);
      const claims = await verifyResponse(refused.jwt, c.client_id);
      expect(claims).toMatchObject({ error: "invalid_request", state: "p" });
      expect(claims.code).toBeUndefined();
    }
  });

  it("disabled: a JWT mode is refused with a plain invalid_request", async () => {
    const c = await registerClient({ jarm_mode: "disabled" });
    const r = await authorize(browser, c, { params: { response_mode: "query.jwt", state: "d" } });
    expect(r.redirect!.searchParams.get("response")).toBeNull();
    expect(r.redirect!.searchParams.get("error")).toBe("invalid_request");
    expect(r.redirect!.searchParams.get("state")).toBe("d");
    const plain = await authorize(browser, c, { params: { response_mode: "query" } });
    expect(plain.redirect!.searchParams.get("code")).toBeTruthy();
  });
});

describe("server-wide JARM_MODE", () => {
  /** A browser whose OP runs with other variables (same Durable Objects, same keys). */
  const browserWith = (vars: Record<string, string>) => {
    const modified = { ...env, ...vars } as never;
    return new SharedBrowser(ISSUER, (request) => worker.fetch(request as never, modified, createExecutionContext()));
  };

  it("disabled: the *.jwt modes are unsupported_response_mode, answered in the plain mode, whatever the client asks", async () => {
    const b = browserWith({ JARM_MODE: "disabled" });
    for (const metadata of [{}, { jarm_mode: "optional" }]) {
      const c = await registerClient(metadata);
      // The error travels by the mode's plain transport (jwt names none: the type's default, query for code).
      for (const [mode, transport] of [
        ["jwt", "query"],
        ["query.jwt", "query"],
        ["fragment.jwt", "fragment"],
        ["form_post.jwt", "form_post"],
      ] as const) {
        const r = await authorize(b, c, { params: { response_mode: mode, prompt: "none", state: "sd" } });
        const p = r.redirect
          ? r.redirect.hash
            ? new URLSearchParams(r.redirect.hash.slice(1))
            : r.redirect.searchParams
          : new URLSearchParams(parseForms(r.page!)[0]!.hidden);
        expect(r.redirect ? (r.redirect.hash ? "fragment" : "query") : "form_post").toBe(transport);
        expect(p.has("response")).toBe(false);
        expect(p.get("error")).toBe("unsupported_response_mode");
        expect(p.get("state")).toBe("sd");
        expect(p.get("iss")).toBe(ISSUER);
      }
    }
  });

  it("required: every client gets JWT responses, jwt by default, plain modes refused", async () => {
    const b = browserWith({ JARM_MODE: "required" });
    const c = await registerClient({ jarm_mode: "disabled" }); // the server's required wins
    const r = await authorize(b, c, { params: { state: "sr" } });
    expect(await verifyResponse(responseOf(r).jwt, c.client_id)).toMatchObject({ code: expect.any(String), state: "sr" });
    const refused = await authorize(b, c, { params: { response_mode: "fragment", state: "sr2" } });
    expect(await verifyResponse(responseOf(refused).jwt, c.client_id)).toMatchObject({ error: "invalid_request", state: "sr2" });
  });

  it("discovery lists the JWT modes and their algorithms only while JARM is on", async () => {
    const m = await (await op("/.well-known/openid-configuration")).json<Record<string, string[]>>();
    expect(m.response_modes_supported).toEqual(["query", "fragment", "form_post", "query.jwt", "fragment.jwt", "form_post.jwt", "jwt"]);
    expect(m.authorization_signing_alg_values_supported).toEqual(["RS256", "ES256"]);
    expect(m.authorization_encryption_alg_values_supported).toContain("RSA-OAEP-256");
    expect(m.authorization_encryption_enc_values_supported).toContain("A128CBC-HS256");
    const off = providerMetadata(ConfigSchema.parse({ ...env, JARM_MODE: "disabled" })) as Record<string, unknown>;
    expect(off.response_modes_supported).toEqual(["query", "fragment", "form_post"]);
    expect(off.authorization_signing_alg_values_supported).toBeUndefined();
    expect(off.authorization_encryption_alg_values_supported).toBeUndefined();
  });
});

describe("JARM client metadata at registration", () => {
  const register = (metadata: Record<string, unknown>) =>
    op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], ...metadata }),
    });

  it.each<[string, Record<string, unknown>]>([
    ["an HMAC signing alg", { authorization_signed_response_alg: "HS256" }],
    ["an unsigned response", { authorization_signed_response_alg: "none" }],
    ["an unknown encryption alg", { authorization_encrypted_response_alg: "RSA1_5", jwks_uri: "https://rp.example.com/jwks" }],
    [
      "an unknown enc",
      { authorization_encrypted_response_alg: "RSA-OAEP", authorization_encrypted_response_enc: "A128CTR", jwks_uri: "https://rp.example.com/jwks" },
    ],
    ["enc without alg", { authorization_encrypted_response_enc: "A128GCM" }],
    ["encryption without keys", { authorization_encrypted_response_alg: "RSA-OAEP" }],
    [
      "encryption with no key of the alg's type",
      { authorization_encrypted_response_alg: "ECDH-ES", jwks: { keys: [{ kty: "RSA", n: "AQAB", e: "AQAB", use: "enc" }] } },
    ],
  ])("rejects %s", async (_name, metadata) => {
    const res = await register(metadata);
    expect(res.status).toBe(400);
    const body = await res.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("invalid_client_metadata");
    expect(body.error_description).toMatch(/authorization_|jwks/);
  });

  it("accepts and echoes the JARM members", async () => {
    const res = await register({
      authorization_signed_response_alg: "ES256",
      authorization_encrypted_response_alg: "RSA-OAEP-256",
      authorization_encrypted_response_enc: "A256GCM",
      jwks_uri: "https://rp.example.com/jwks",
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      authorization_signed_response_alg: "ES256",
      authorization_encrypted_response_alg: "RSA-OAEP-256",
      authorization_encrypted_response_enc: "A256GCM",
    });
  });
});

describe("JARM with pushed authorization requests (RFC 9126)", () => {
  const push = (c: RegisteredClient, params: Record<string, string>) =>
    op("/par", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(c.client_id, c.client_secret!) },
      body: new URLSearchParams({ response_type: "code", scope: "openid", redirect_uri: c.redirect_uris[0]!, ...params }),
    });
  const authorizePushed = async (c: RegisteredClient, requestUri: string) => {
    const nav = await navigate(browser, `/authorize?${new URLSearchParams({ client_id: c.client_id, request_uri: requestUri })}`);
    return { redirect: nav.callback, page: nav.page?.html, status: nav.page?.status };
  };

  it("a pushed request for a JARM-required client gets jwt by default; a plain mode is refused at the PAR endpoint", async () => {
    const c = await registerClient({ jarm_mode: "required" });
    const refused = await push(c, { response_mode: "query", state: "p1" });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "invalid_request" });
    const pushed = await push(c, { state: "p2" });
    expect(pushed.status, await pushed.clone().text()).toBe(201);
    const res = responseOf(await authorizePushed(c, (await pushed.json<{ request_uri: string }>()).request_uri));
    expect(res.transport).toBe("query");
    expect(await verifyResponse(res.jwt, c.client_id)).toMatchObject({ code: expect.any(String), state: "p2" });
  });

  it("a pushed form_post.jwt request is answered in form_post.jwt; query.jwt for tokens is refused when pushed too", async () => {
    const c = await registerClient({ response_types: TOKEN_TYPES, grant_types: ["authorization_code", "implicit"] });
    const pushed = await push(c, { response_mode: "form_post.jwt", state: "p3" });
    expect(pushed.status, await pushed.clone().text()).toBe(201);
    const res = responseOf(await authorizePushed(c, (await pushed.json<{ request_uri: string }>()).request_uri));
    expect(res.transport).toBe("form_post");
    expect(await verifyResponse(res.jwt, c.client_id)).toMatchObject({ code: expect.any(String), state: "p3" });
    const tokens = await push(c, { response_type: "code id_token", nonce: "n", response_mode: "query.jwt" });
    expect(tokens.status).toBe(400);
    expect(await tokens.json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("query.jwt") });
  });
});
