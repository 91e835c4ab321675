import {
  AuthError,
  type DpopProofCheck,
  MemoryReplayCache,
  normalizeHtu,
  type ProtectedResourceConfig,
  protectedResource,
  verifyDpopProof,
} from "@op/resource-server";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { b64json, b64url } from "./helpers";
import { apiRequest, challenges, METADATA_URL, RESOURCE, syntheticIssuer } from "./resource-server-helpers";

/**
 * RFC 9449 at the resource server. The OP does not issue DPoP-bound tokens yet, so the proofs
 * here are signed in the test, checked alone (verifyDpopProof) and then through the kit with
 * cnf.jkt tokens from a stand-in authorization server.
 */

const ACCESS_TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"; // any string: only its hash matters to the proof
const ath = async (token: string) => b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));

interface ProofKey {
  privateKey: CryptoKey;
  publicJwk: JWK;
  jkt: string;
  alg: string;
}

async function proofKey(alg: "ES256" | "PS256" | "EdDSA" = "ES256"): Promise<ProofKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  return { privateKey: pair.privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, "sha256"), alg };
}

interface ProofOptions {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string | null;
  ath?: string | null;
  nonce?: string;
  typ?: string;
  jwk?: JWK;
}

async function proof(key: ProofKey, o: ProofOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: o.htm ?? "POST",
    htu: o.htu ?? RESOURCE,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    ...(o.jti === null ? {} : { jti: o.jti ?? crypto.randomUUID() }),
    ...(o.ath === null ? {} : { ath: o.ath ?? (await ath(ACCESS_TOKEN)) }),
    ...(o.nonce ? { nonce: o.nonce } : {}),
  };
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ: o.typ ?? "dpop+jwt", jwk: o.jwk ?? key.publicJwk }).sign(key.privateKey);
}

const check = (p: string, extra: Partial<DpopProofCheck> = {}): DpopProofCheck => ({
  proof: p,
  method: "POST",
  url: RESOURCE,
  accessToken: ACCESS_TOKEN,
  replay: new MemoryReplayCache(),
  ...extra,
});

async function refusal(promise: Promise<unknown>): Promise<AuthError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof AuthError) return e;
    throw e;
  }
  throw new Error("the proof was accepted");
}

describe("verifyDpopProof (RFC 9449 §4.3)", () => {
  it("accepts a valid proof and returns its key's thumbprint", async () => {
    for (const alg of ["ES256", "PS256", "EdDSA"] as const) {
      const key = await proofKey(alg);
      const result = await verifyDpopProof(check(await proof(key), { jkt: key.jkt }));
      expect(result).toMatchObject({ jkt: key.jkt, alg, htm: "POST", htu: RESOURCE });
    }
  });

  it.each<[string, (key: ProofKey) => Promise<string>, RegExp]>([
    ["typ is not dpop+jwt", (k) => proof(k, { typ: "JWT" }), /typed "dpop\+jwt"/],
    ["htm differs", (k) => proof(k, { htm: "GET" }), /htm does not match/],
    ["htu is another URL", (k) => proof(k, { htu: "https://mcp.example.com/other" }), /htu does not match/],
    ["htu is another origin", (k) => proof(k, { htu: "https://evil.example.com/mcp" }), /htu does not match/],
    ["iat is too old", (k) => proof(k, { iat: Math.floor(Date.now() / 1000) - 120 }), /too old/],
    ["iat is in the future", (k) => proof(k, { iat: Math.floor(Date.now() / 1000) + 120 }), /in the future/],
    ["jti is missing", (k) => proof(k, { jti: null }), /invalid/],
    ["ath is missing", (k) => proof(k, { ath: null }), /must carry ath/],
    ["ath is another token's", async (k) => proof(k, { ath: await ath("another-token") }), /ath does not match/],
    ["the jwk is another key than the signer", async (k) => proof(k, { jwk: (await proofKey()).publicJwk }), /invalid/],
  ])("refuses a proof whose %s", async (_n, make, message) => {
    const key = await proofKey();
    const e = await refusal(verifyDpopProof(check(await make(key), { jkt: key.jkt })));
    expect(e.code).toBe("invalid_dpop_proof");
    expect(e.description).toMatch(message);
    expect(e.details.scheme).toBe("DPoP");
  });

  it("refuses a private key in jwk, alg none, and HMAC", async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const key = { privateKey: pair.privateKey, publicJwk: privateJwk, jkt: "", alg: "ES256" };
    expect((await refusal(verifyDpopProof(check(await proof(key))))).description).toMatch(/must not contain a private key/);

    const claims = { htm: "POST", htu: RESOURCE, iat: Math.floor(Date.now() / 1000), jti: "x", ath: await ath(ACCESS_TOKEN) };
    const none = `${b64json({ alg: "none", typ: "dpop+jwt", jwk: (await proofKey()).publicJwk })}.${b64json(claims)}.`;
    expect((await refusal(verifyDpopProof(check(none)))).description).toMatch(/alg none is refused/);
    const secret = new TextEncoder().encode("s".repeat(32));
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: { kty: "oct", k: b64url(secret) } as unknown as JWK })
      .sign(secret);
    expect((await refusal(verifyDpopProof(check(hmac)))).description).toMatch(/not an asymmetric signature algorithm/);
    // An algorithm the resource server did not allow.
    const ps = await proofKey("PS256");
    expect((await refusal(verifyDpopProof(check(await proof(ps), { algorithms: ["ES256"] })))).description).toMatch(/alg must be one of ES256/);
  });

  it("refuses a replayed proof (same jti), and a proof for a token bound to another key", async () => {
    const key = await proofKey();
    const replay = new MemoryReplayCache();
    const p = await proof(key);
    await verifyDpopProof(check(p, { replay }));
    expect((await refusal(verifyDpopProof(check(p, { replay })))).description).toMatch(/already used/);
    const other = await proofKey();
    const bound = await refusal(verifyDpopProof(check(await proof(key), { jkt: other.jkt, replay })));
    expect(bound.code).toBe("invalid_token");
  });

  it("compares htu without query and fragment, after RFC 3986 normalisation", async () => {
    const key = await proofKey();
    const p = await proof(key, { htu: "HTTPS://MCP.Example.COM:443/%6Dcp" });
    expect(await verifyDpopProof(check(p, { url: "https://mcp.example.com/mcp?session=1#x" }))).toMatchObject({ jkt: key.jkt });
    expect(normalizeHtu("https://a.example/x/../y/%7e%2f?q#f")).toBe("https://a.example/y/~%2F");
    expect(normalizeHtu("https://a.example")).toBe("https://a.example/");
    expect(normalizeHtu("ftp://a.example/")).toBeUndefined();
    expect(normalizeHtu("not a url")).toBeUndefined();
  });

  it("asks for the server's nonce when the hook wants one (use_dpop_nonce)", async () => {
    const key = await proofKey();
    const nonce = { check: (n: string | undefined) => n === "n-1", issue: () => "n-1" };
    const e = await refusal(verifyDpopProof(check(await proof(key), { nonce })));
    expect(e.code).toBe("use_dpop_nonce");
    expect(e.details.dpopNonce).toBe("n-1");
    expect(await verifyDpopProof(check(await proof(key, { nonce: "n-1" }), { nonce }))).toMatchObject({ jkt: key.jkt });
  });
});

describe("MemoryReplayCache", () => {
  it("forgets expired entries, and holds at most maxEntries", () => {
    let now = 1000;
    const cache = new MemoryReplayCache(10, () => now);
    expect(cache.use("a", 2000)).toBe(true);
    expect(cache.use("a", 2000)).toBe(false);
    now = 2000;
    expect(cache.use("a", 3000)).toBe(true); // expired: a proof that old fails its iat check anyway
    for (let i = 0; i < 50; i++) cache.use(`k${i}`, 10_000);
    expect(cache.size).toBeLessThanOrEqual(10);
  });
});

describe("DPoP-bound tokens through the kit", () => {
  async function setup(config: Partial<ProtectedResourceConfig> = {}) {
    const as = await syntheticIssuer();
    const key = await proofKey();
    const rs = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch, ...config });
    const token = await as.sign({ cnf: { jkt: key.jkt } });
    const request = async (authorization: string, p?: string | null, url = RESOURCE) =>
      apiRequest(authorization, { url, headers: p === null ? {} : { dpop: p ?? (await proof(key, { ath: await ath(token), htu: url })) } });
    return { as, key, rs, token, request };
  }

  it("accepts the token with the DPoP scheme and a proof by its key", async () => {
    const { rs, token, key, request } = await setup();
    const verified = await rs.verify(await request(`DPoP ${token}`));
    expect(verified).toMatchObject({ scheme: "DPoP", sub: "user-1" });
    expect(verified.dpop?.jkt).toBe(key.jkt);
  });

  it("refuses it as a Bearer token (RFC 9449 §7.2), without a proof, or with a proof by another key", async () => {
    const { rs, token, request, as } = await setup();
    const asBearer = await rs.authenticate(await request(`Bearer ${token}`));
    expect(asBearer.ok).toBe(false);
    if (asBearer.ok) return;
    const c = challenges(asBearer.response.headers.get("www-authenticate"));
    expect(c.DPoP).toMatchObject({ error: "invalid_token", resource_metadata: METADATA_URL });
    expect(c.Bearer).toEqual({ resource_metadata: METADATA_URL });

    const noProof = await rs.authenticate(await request(`DPoP ${token}`, null));
    expect(!noProof.ok && challenges(noProof.response.headers.get("www-authenticate")).DPoP!.error).toBe("invalid_dpop_proof");

    const stranger = await proofKey();
    const foreign = apiRequest(`DPoP ${token}`, { headers: { dpop: await proof(stranger, { ath: await ath(token) }) } });
    const r = await rs.authenticate(foreign);
    expect(!r.ok && challenges(r.response.headers.get("www-authenticate")).DPoP!.error).toBe("invalid_token");

    const two = apiRequest(`DPoP ${token}`, { headers: { dpop: `${await proof(stranger)}, ${await proof(stranger)}` } });
    const twice = await rs.authenticate(two);
    expect(!twice.ok && challenges(twice.response.headers.get("www-authenticate")).DPoP!.error_description).toBe("the request has more than one DPoP proof");

    // An unbound token under the DPoP scheme is refused too.
    const unbound = await as.sign();
    const u = await rs.authenticate(apiRequest(`DPoP ${unbound}`, { headers: { dpop: await proof(stranger, { ath: await ath(unbound) }) } }));
    expect(!u.ok && challenges(u.response.headers.get("www-authenticate")).DPoP!.error).toBe("invalid_token");
  });

  it("checks htu against the request's URL, or the one requestUrl() names behind a rewrite", async () => {
    const { rs, token, key, as } = await setup();
    const p = await proof(key, { ath: await ath(token), htu: "https://public.example.com/mcp" });
    const r = await rs.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: p } }));
    expect(!r.ok && challenges(r.response.headers.get("www-authenticate")).DPoP!.error).toBe("invalid_dpop_proof");
    const rewritten = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch, requestUrl: () => "https://public.example.com/mcp" });
    expect((await rewritten.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: p } }))).ok).toBe(true);
  });

  it("refuses a replayed request", async () => {
    const { rs, token, key } = await setup();
    const p = await proof(key, { ath: await ath(token) });
    expect((await rs.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: p } }))).ok).toBe(true);
    const again = await rs.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: p } }));
    expect(!again.ok && challenges(again.response.headers.get("www-authenticate")).DPoP!.error_description).toBe("the DPoP proof was already used");
  });

  it("dpop.required: Bearer tokens are refused, the document says so, and no Bearer challenge is offered", async () => {
    const { rs, as } = await setup({ dpop: { required: true } });
    expect(rs.metadata.dpop_bound_access_tokens_required).toBe(true);
    const r = await rs.authenticate(apiRequest(`Bearer ${await as.sign()}`));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const c = challenges(r.response.headers.get("www-authenticate"));
    expect(Object.keys(c)).toEqual(["DPoP"]);
    expect(c.DPoP).toMatchObject({ error: "invalid_token" });
  });

  it("a nonce hook makes the kit answer use_dpop_nonce with a DPoP-Nonce header", async () => {
    const nonce = { check: (n: string | undefined) => n === "server-nonce", issue: () => "server-nonce" };
    const { rs, token, key } = await setup({ dpop: { nonce } });
    const r = await rs.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: await proof(key, { ath: await ath(token) }) } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.response.status).toBe(401);
    expect(r.response.headers.get("dpop-nonce")).toBe("server-nonce");
    expect(challenges(r.response.headers.get("www-authenticate")).DPoP!.error).toBe("use_dpop_nonce");
    const withNonce = await proof(key, { ath: await ath(token), nonce: "server-nonce" });
    expect((await rs.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: withNonce } }))).ok).toBe(true);
  });

  it("with DPoP off, a DPoP-bound token is refused, and the DPoP scheme is not read at all", async () => {
    const { as, key } = await setup();
    const rs = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch, dpop: false });
    const token = await as.sign({ cnf: { jkt: key.jkt } });
    const bearer = await rs.authenticate(apiRequest(`Bearer ${token}`));
    expect(!bearer.ok && challenges(bearer.response.headers.get("www-authenticate")).Bearer!.error).toBe("invalid_token");
    const dpop = await rs.authenticate(apiRequest(`DPoP ${token}`, { headers: { dpop: await proof(key, { ath: await ath(token) }) } }));
    expect(!dpop.ok && challenges(dpop.response.headers.get("www-authenticate")).Bearer).toEqual({ resource_metadata: METADATA_URL });
  });

  it("refuses a token bound by a confirmation method the kit does not know", async () => {
    const { as, rs } = await setup();
    const r = await rs.authenticate(apiRequest(`Bearer ${await as.sign({ cnf: { kid: "some-key" } })}`));
    expect(!r.ok && challenges(r.response.headers.get("www-authenticate")).Bearer!.error_description).toMatch(/unsupported confirmation method/);
  });
});
