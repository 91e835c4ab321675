import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { assertionLifetimeRefusal } from "@op/rules";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { ISSUER, machineClient, op, type RegisteredClient } from "./helpers";

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  ec = await generateKeyPair("ES256", { extractable: true });
});

const base = { grant_types: ["client_credentials"], redirect_uris: undefined };
/** The operator's grant to these clients: the test API (test/support/test-resources.ts), its read scope. */
const M2M_GRANTS = { client_credentials: [{ resource: "test-api", scopes: ["read"] }] };
async function privateKeyJwtClient(extra: Record<string, unknown> = {}) {
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: "rsa1", use: "sig" },
    { ...(await exportJWK(ec.publicKey)), kid: "ec1" },
  ];
  return machineClient(M2M_GRANTS, { ...base, token_endpoint_auth_method: "private_key_jwt", jwks: { keys }, ...extra });
}

function assertion(
  clientId: string,
  key: CryptoKey | Uint8Array,
  opts: { alg?: string; kid?: string; aud?: string; exp?: number | null; iat?: number | null; jti?: string | null; iss?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(opts.jti === null ? {} : { jti: opts.jti ?? crypto.randomUUID() }) })
    .setProtectedHeader({ alg: opts.alg ?? "RS256", ...(opts.kid ? { kid: opts.kid } : {}) })
    .setIssuer(opts.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(opts.aud ?? `${ISSUER}/token`);
  if (opts.iat !== null) jwt.setIssuedAt(opts.iat ?? now);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? now + 60);
  return jwt.sign(key);
}

const tokenWith = (clientAssertion: string, path = "/token", extra: Record<string, string> = { grant_type: "client_credentials" }) =>
  op(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ ...extra, client_assertion_type: ASSERTION_TYPE, client_assertion: clientAssertion }),
  });

describe("private_key_jwt (RFC 7523, OIDC Core §9)", () => {
  let client: RegisteredClient;
  beforeAll(async () => {
    client = await privateKeyJwtClient();
  });

  it("authenticates with RS256 or ES256, aud the token endpoint or the issuer", async () => {
    expect((await tokenWith(await assertion(client.client_id, rsa.privateKey, { kid: "rsa1" }))).status).toBe(200);
    expect((await tokenWith(await assertion(client.client_id, ec.privateKey, { alg: "ES256", kid: "ec1", aud: ISSUER }))).status).toBe(200);
  });

  it("is accepted at introspection with that endpoint as aud", async () => {
    const res = await tokenWith(await assertion(client.client_id, rsa.privateKey, { aud: `${ISSUER}/introspect` }), "/introspect", { token: "x" });
    expect(await res.json()).toEqual({ active: false });
  });

  it.each<[string, Parameters<typeof assertion>[2]]>([
    ["a wrong audience", { aud: "https://other.example.com" }],
    ["no exp", { exp: null }],
    ["an expired assertion", { exp: Math.floor(Date.now() / 1000) - 600 }],
    ["an exp too far ahead (beyond an hour and the clock skew)", { exp: Math.floor(Date.now() / 1000) + 3600 + 120 }],
    ["a lifetime over an hour counted from iat", { iat: Math.floor(Date.now() / 1000) - 600, exp: Math.floor(Date.now() / 1000) + 3300 }],
    ["an iat in the future (beyond the clock skew)", { iat: Math.floor(Date.now() / 1000) + 120, exp: Math.floor(Date.now() / 1000) + 300 }],
    ["no jti", { jti: null }],
    ["iss different from sub", { iss: "someone-else" }],
    ["an unregistered alg", { alg: "HS256" }],
  ])("refuses %s with 401 invalid_client", async (_n, opts) => {
    const key = opts?.alg === "HS256" ? new TextEncoder().encode("x".repeat(32)) : rsa.privateKey;
    const res = await tokenWith(await assertion(client.client_id, key, opts));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });

  it("accepts an hour-long assertion (Authlib's default: exp = iat + 3600), also from a clock running ahead within the skew", async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await tokenWith(await assertion(client.client_id, rsa.privateKey, { iat: now, exp: now + 3600 }))).status).toBe(200);
    expect((await tokenWith(await assertion(client.client_id, rsa.privateKey, { iat: now + 30, exp: now + 3630 }))).status).toBe(200);
    expect((await tokenWith(await assertion(client.client_id, rsa.privateKey, { iat: null, exp: now + 3630 }))).status).toBe(200);
  });

  it("remembers an hour-long assertion's jti until it expires (plus the clock skew), and refuses its replay meanwhile", async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const jti = crypto.randomUUID();
    const once = await assertion(client.client_id, rsa.privateKey, { exp, jti });
    expect((await tokenWith(once)).status).toBe(200);
    expect((await tokenWith(once)).status).toBe(401);
    const guard = env.REPLAY_GUARD.get(env.REPLAY_GUARD.idFromName(`client-jwt\n${client.client_id}\n${jti}`));
    expect(await runInDurableObject(guard, (_instance, state) => state.storage.getAlarm())).toBe((exp + 60) * 1000);
  });

  it("refuses a key the client did not register", async () => {
    const stranger = await generateKeyPair("RS256");
    expect((await tokenWith(await assertion(client.client_id, stranger.privateKey))).status).toBe(401);
  });

  it("refuses a replayed jti, and of 20 concurrent uses exactly one succeeds", async () => {
    const once = await assertion(client.client_id, rsa.privateKey);
    expect((await tokenWith(once)).status).toBe(200);
    expect(await (await tokenWith(once)).json()).toMatchObject({ error: "invalid_client", error_description: expect.stringContaining("already been used") });
    const raced = await assertion(client.client_id, rsa.privateKey);
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => tokenWith(raced)))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(19);
  });

  it("honours token_endpoint_auth_signing_alg", async () => {
    const esOnly = await privateKeyJwtClient({ token_endpoint_auth_signing_alg: "ES256" });
    expect((await tokenWith(await assertion(esOnly.client_id, rsa.privateKey))).status).toBe(401);
    expect((await tokenWith(await assertion(esOnly.client_id, ec.privateKey, { alg: "ES256" }))).status).toBe(200);
  });

  it("a client registered for another method cannot use an assertion, nor this one a secret", async () => {
    const basic = await machineClient(M2M_GRANTS, base);
    expect((await tokenWith(await assertion(basic.client_id, rsa.privateKey))).status).toBe(401);
    const mixed = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: client.client_id, client_secret: "x" }),
    });
    expect(mixed.status).toBe(401);
  });
});

describe("client_secret_jwt", () => {
  it("authenticates with an HMAC of the client secret, which is stored sealed", async () => {
    const client = await machineClient(M2M_GRANTS, { ...base, token_endpoint_auth_method: "client_secret_jwt" });
    const secret = new TextEncoder().encode(client.client_secret!);
    expect((await tokenWith(await assertion(client.client_id, secret, { alg: "HS256" }))).status).toBe(200);
    expect((await tokenWith(await assertion(client.client_id, new TextEncoder().encode("wrong-secret-wrong-secret-wrong!!"), { alg: "HS256" }))).status).toBe(
      401,
    );
  });
});

describe("registration of JWT authentication", () => {
  const register = (body: Record<string, unknown>) =>
    op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], ...body }),
    });
  it.each<[string, Record<string, unknown>]>([
    ["private_key_jwt without keys", { token_endpoint_auth_method: "private_key_jwt" }],
    [
      "both jwks and jwks_uri",
      { token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b" }] }, jwks_uri: "https://rp.example.com/jwks" },
    ],
    ["a private key in jwks", { token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b", d: "secret" }] } }],
    ["a jwks_uri off https", { token_endpoint_auth_method: "private_key_jwt", jwks_uri: "http://rp.example.com/jwks" }],
    ["an alg that does not fit the method", { token_endpoint_auth_method: "client_secret_jwt", token_endpoint_auth_signing_alg: "RS256" }],
  ])("refuses %s", async (_n, body) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });

  it("discovery lists both methods and their algorithms", async () => {
    const m = await (await op("/.well-known/openid-configuration")).json<Record<string, string[]>>();
    expect(m.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["private_key_jwt", "client_secret_jwt"]));
    expect(m.token_endpoint_auth_signing_alg_values_supported).toEqual(expect.arrayContaining(["RS256", "ES256", "HS256"]));
  });
});

describe("assertionLifetimeRefusal (RFC 7523 §3 items 4-6)", () => {
  const config = { clientAssertionMaxLifetime: 3600, clockSkew: 60 };
  const now = 1_700_000_000;
  it.each<[string, { exp?: unknown; iat?: unknown }, string | undefined]>([
    ["an hour from iat, issued now", { iat: now, exp: now + 3600 }, undefined],
    ["an hour from a clock 60 s ahead", { iat: now + 60, exp: now + 3660 }, undefined],
    ["no iat, exp within the hour and the skew", { exp: now + 3660 }, undefined],
    ["exp beyond the hour and the skew", { exp: now + 3661 }, "the JWT expires more than 3600 seconds from now"],
    ["exp - iat beyond the hour", { iat: now - 1, exp: now + 3600 }, "the JWT lives longer than 3600 seconds (exp - iat)"],
    ["iat beyond the skew ahead", { iat: now + 61, exp: now + 120 }, "the JWT was issued in the future (iat)"],
    ["no exp", { iat: now }, "the JWT has no exp"],
    ["a string iat", { iat: String(now), exp: now + 60 }, "the JWT's iat is not a number"],
  ])("%s", (_n, payload, refusal) => {
    expect(assertionLifetimeRefusal(payload, config, now)).toBe(refusal);
  });
});
