import { generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { DpopKey, form, NONCE_WINDOW, nonceAt } from "./dpop-helpers";
import {
  authorize,
  Browser,
  basicAuth,
  codeRequestParams,
  decodeJwt,
  ISSUER,
  machineClient,
  op,
  type RegisteredClient,
  registerClient,
  requestObjectKey,
  signRequestObject,
} from "./helpers";

/**
 * RFC 9449 end to end through the OP: tokens bound to the proof's key at the token endpoint
 * (every grant goes through the same step), refresh tokens of public clients bound, codes bound
 * by dpop_jkt (authorize and PAR), userinfo and introspection, revocation, server nonces
 * (DPOP_NONCE=all in the test configuration), and every way a proof is refused.
 */

const M2M_GRANTS = { client_credentials: [{ resource: "test-api", scopes: ["read"] }] };
const m2m = { grant_types: ["client_credentials"], redirect_uris: undefined };

async function ccToken(client: RegisteredClient, key: DpopKey, extra: Parameters<DpopKey["fetch"]>[2] = {}) {
  return key.fetch("/token", form({ grant_type: "client_credentials" }, { authorization: basicAuth(client.client_id, client.client_secret!) }), extra);
}

/** A public client's code flow, redeemed with `key`'s proofs. */
async function publicFlow(client?: RegisteredClient, params: Record<string, string> = {}) {
  const c = client ?? (await registerClient({ token_endpoint_auth_method: "none" }));
  const browser = new Browser();
  const { redirect, verifier } = await authorize(browser, c, { params: { scope: "openid offline_access", prompt: "consent", ...params } });
  const code = redirect!.searchParams.get("code")!;
  const redeem = (k: DpopKey | undefined) => {
    const body = form({ grant_type: "authorization_code", code, redirect_uri: c.redirect_uris[0]!, code_verifier: verifier, client_id: c.client_id });
    return k ? k.fetch("/token", body) : op("/token", body);
  };
  return { client: c, redeem };
}

async function errorOf(res: Response) {
  return { status: res.status, ...(await res.clone().json<{ error?: string; error_description?: string }>()) };
}

let key: DpopKey;
let confidential: RegisteredClient;
beforeAll(async () => {
  key = await DpopKey.generate();
  confidential = await machineClient(M2M_GRANTS, m2m);
});

describe("discovery (RFC 9449 §5.1)", () => {
  it("lists the proof algorithms", async () => {
    const doc = await (await op("/.well-known/openid-configuration")).json<Record<string, unknown>>();
    expect(doc.dpop_signing_alg_values_supported).toEqual(["ES256", "PS256", "EdDSA"]);
  });
});

describe("server nonces (RFC 9449 §8, §9)", () => {
  it("asks for a nonce with 400 use_dpop_nonce and DPoP-Nonce, and accepts it", async () => {
    const fresh = await DpopKey.generate();
    const first = await op("/token", {
      ...form(
        { grant_type: "client_credentials" },
        { authorization: basicAuth(confidential.client_id, confidential.client_secret!), dpop: await fresh.proof("POST", "/token") },
      ),
    });
    expect(await errorOf(first)).toMatchObject({ status: 400, error: "use_dpop_nonce" });
    expect(first.headers.get("www-authenticate")).toBeNull(); // §8: at the token endpoint, a plain RFC 6749 §5.2 error
    const nonce = first.headers.get("dpop-nonce");
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    fresh.nonce = nonce!;
    const second = await ccToken(confidential, fresh);
    expect(second.status).toBe(200);
    expect(second.headers.get("dpop-nonce")).toBe(nonce); // the same step: the same nonce
  });

  it("refuses an unknown nonce, and one from two steps ago; the previous step's is still good", async () => {
    const k = await DpopKey.generate();
    const basic = { authorization: basicAuth(confidential.client_id, confidential.client_secret!) };
    const send = async (nonce: string) =>
      op("/token", form({ grant_type: "client_credentials" }, { ...basic, dpop: await k.proof("POST", "/token", { nonce }) }));
    expect(await errorOf(await send("A".repeat(43)))).toMatchObject({ status: 400, error: "use_dpop_nonce" });
    expect(await errorOf(await send("not-a-nonce"))).toMatchObject({ status: 400, error: "use_dpop_nonce" });
    const window = NONCE_WINDOW * 1000;
    expect(await errorOf(await send(await nonceAt(Date.now() - 2 * window)))).toMatchObject({ status: 400, error: "use_dpop_nonce" });
    expect((await send(await nonceAt(Date.now() - window))).status).toBe(200);
  });
});

describe("the token endpoint binds tokens to the proof's key (RFC 9449 §5)", () => {
  it("client_credentials: token_type DPoP, cnf.jkt; introspection shows both", async () => {
    const res = await ccToken(confidential, key);
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<Record<string, any>>();
    expect(body.token_type).toBe("DPoP");
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: key.jkt });
    const intro = await op(
      "/introspect",
      form({ token: body.access_token }, { authorization: basicAuth(confidential.client_id, confidential.client_secret!) }),
    );
    expect(await intro.json()).toMatchObject({ active: true, token_type: "DPoP", cnf: { jkt: key.jkt } });
  });

  it("without a proof, tokens stay Bearer; a dpop_bound_access_tokens client is refused without one (§5.2)", async () => {
    const plain = await op(
      "/token",
      form({ grant_type: "client_credentials" }, { authorization: basicAuth(confidential.client_id, confidential.client_secret!) }),
    );
    expect((await plain.json<Record<string, any>>()).token_type).toBe("Bearer");
    const strict = await machineClient(M2M_GRANTS, { ...m2m, dpop_bound_access_tokens: true });
    const refused = await op("/token", form({ grant_type: "client_credentials" }, { authorization: basicAuth(strict.client_id, strict.client_secret!) }));
    expect(await errorOf(refused)).toMatchObject({
      status: 400,
      error: "invalid_dpop_proof",
      error_description: expect.stringMatching(/dpop_bound_access_tokens/),
    });
    expect((await ccToken(strict, key)).status).toBe(200);
  });

  it("20 parallel uses of one proof: one success (jti single use, RFC 9449 §11.1)", async () => {
    await ccToken(confidential, key); // learn the current nonce
    const dpop = await key.proof("POST", "/token");
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        op("/token", form({ grant_type: "client_credentials" }, { authorization: basicAuth(confidential.client_id, confidential.client_secret!), dpop })),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200))
      expect(await errorOf(r)).toMatchObject({ status: 400, error: "invalid_dpop_proof", error_description: expect.stringMatching(/already used/) });
  });
});

describe("proofs the token endpoint refuses (RFC 9449 §4.3)", () => {
  beforeAll(async () => {
    await ccToken(confidential, key); // a current nonce, so each case fails for its own reason
  });
  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string>, RegExp][] = [
    ["wrong htm", () => key.proof("POST", "/token", { htm: "GET" }), /htm does not match/],
    ["wrong htu (another path)", () => key.proof("POST", "/token", { htu: `${ISSUER}/userinfo` }), /htu does not match/],
    ["wrong htu (another origin)", () => key.proof("POST", "/token", { htu: "https://evil.example/token" }), /htu does not match/],
    ["stale iat", () => key.proof("POST", "/token", { iat: now() - 600 }), /too old/],
    ["future iat", () => key.proof("POST", "/token", { iat: now() + 600 }), /in the future/],
    ["typ JWT", () => key.proof("POST", "/token", { header: { typ: "JWT" } }), /typed "dpop\+jwt"/],
    ["no jwk", () => key.proof("POST", "/token", { header: { jwk: undefined } }), /public key in jwk/],
    [
      "a jwk that did not sign",
      async () => key.proof("POST", "/token", { header: { jwk: (await DpopKey.generate()).publicJwk } }),
      /signature verification failed/,
    ],
    ["no jti", () => key.proof("POST", "/token", { claims: { jti: undefined } }), /jti/],
    ["alg none", async () => unsigned({ alg: "none", typ: "dpop+jwt", jwk: key.publicJwk }), /alg none is refused/],
    [
      "HS256",
      () =>
        new SignJWT({ jti: crypto.randomUUID(), htm: "POST", htu: `${ISSUER}/token`, iat: now(), nonce: key.nonce })
          .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: { kty: "oct", k: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0" } } as never)
          .sign(new TextEncoder().encode("secretsecretsecretsecret")),
      /not an asymmetric/,
    ],
    ["RS256 (not in the allow-list)", async () => (await DpopKeyRs()).proof("POST", "/token", { nonce: key.nonce }), /alg must be one of ES256 PS256 EdDSA/],
    [
      "a private key in jwk",
      async () => {
        const pair = await generateKeyPair("ES256", { extractable: true });
        const { exportJWK } = await import("jose");
        const priv = await exportJWK(pair.privateKey);
        return new SignJWT({ jti: crypto.randomUUID(), htm: "POST", htu: `${ISSUER}/token`, iat: now(), nonce: key.nonce })
          .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: priv })
          .sign(pair.privateKey);
      },
      /must not contain a private key/,
    ],
    ["not a JWT", async () => "not.a-jwt", /malformed header|not a JWT/],
  ];
  it.each(cases)("%s: 400 invalid_dpop_proof, no token", async (_name, make, message) => {
    const res = await op(
      "/token",
      form({ grant_type: "client_credentials" }, { authorization: basicAuth(confidential.client_id, confidential.client_secret!), dpop: await make() }),
    );
    expect(await errorOf(res)).toMatchObject({ status: 400, error: "invalid_dpop_proof", error_description: expect.stringMatching(message) });
  });

  it("two DPoP headers", async () => {
    const headers = new Headers({
      "content-type": "application/x-www-form-urlencoded",
      authorization: basicAuth(confidential.client_id, confidential.client_secret!),
    });
    headers.append("dpop", await key.proof("POST", "/token"));
    headers.append("dpop", await key.proof("POST", "/token"));
    const res = await op("/token", { method: "POST", headers, body: "grant_type=client_credentials" });
    expect(await errorOf(res)).toMatchObject({ status: 400, error: "invalid_dpop_proof", error_description: expect.stringMatching(/more than one/) });
  });

  it("a replayed proof", async () => {
    const dpop = await key.proof("POST", "/token");
    const send = () =>
      op("/token", form({ grant_type: "client_credentials" }, { authorization: basicAuth(confidential.client_id, confidential.client_secret!), dpop }));
    expect((await send()).status).toBe(200);
    expect(await errorOf(await send())).toMatchObject({ status: 400, error: "invalid_dpop_proof", error_description: expect.stringMatching(/already used/) });
  });
});

function unsigned(header: Record<string, unknown>) {
  const enc = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return `${enc(header)}.${enc({ jti: crypto.randomUUID(), htm: "POST", htu: `${ISSUER}/token`, iat: Math.floor(Date.now() / 1000), nonce: key.nonce })}.`;
}

async function DpopKeyRs() {
  const pair = await generateKeyPair("RS256", { extractable: true });
  const { exportJWK } = await import("jose");
  const publicJwk = await exportJWK(pair.publicKey);
  return {
    proof: (htm: string, path: string, o: { nonce?: string }) =>
      new SignJWT({ jti: crypto.randomUUID(), htm, htu: `${ISSUER}${path}`, iat: Math.floor(Date.now() / 1000), nonce: o.nonce })
        .setProtectedHeader({ alg: "RS256", typ: "dpop+jwt", jwk: publicJwk })
        .sign(pair.privateKey),
  };
}

describe("a public client's code flow under DPoP (RFC 9449 §5, §7)", () => {
  let flow: Awaited<ReturnType<typeof publicFlow>>;
  let tokens: Record<string, any>;
  beforeAll(async () => {
    flow = await publicFlow();
    const res = await flow.redeem(key);
    expect(res.status, await res.clone().text()).toBe(200);
    tokens = await res.json();
  });

  it("binds the access token, and userinfo takes it with the DPoP scheme and a proof with ath", async () => {
    expect(tokens.token_type).toBe("DPoP");
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.jkt });
    const res = await key.fetch("/userinfo", { headers: { authorization: `DPoP ${tokens.access_token}` } }, { accessToken: tokens.access_token });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get("dpop-nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await res.json<Record<string, unknown>>()).sub).toEqual(expect.any(String));
  });

  it("userinfo refuses the bound token as Bearer, without a proof, with another key, without or with a wrong ath, a replay", async () => {
    const at = tokens.access_token as string;
    const dpopAuth = { authorization: `DPoP ${at}` };
    const bearer = await op("/userinfo", { headers: { authorization: `Bearer ${at}` } });
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get("www-authenticate")).toMatch(
      /DPoP realm="[^"]+", error="invalid_token", error_description="[^"]*DPoP scheme[^"]*", algs="ES256 PS256 EdDSA"/,
    );
    const noProof = await op("/userinfo", { headers: dpopAuth });
    expect(await errorOf(noProof)).toMatchObject({ status: 401, error: "invalid_dpop_proof" });
    expect(noProof.headers.get("www-authenticate")).toMatch(/^Bearer realm="[^"]+", DPoP realm="[^"]+", error="invalid_dpop_proof"/);
    const other = await DpopKey.generate();
    other.nonce = key.nonce;
    const wrongKey = await op("/userinfo", { headers: { ...dpopAuth, dpop: await other.proof("GET", "/userinfo", { accessToken: at }) } });
    expect(await errorOf(wrongKey)).toMatchObject({ status: 401, error: "invalid_token", error_description: expect.stringMatching(/another DPoP key/) });
    const noAth = await op("/userinfo", { headers: { ...dpopAuth, dpop: await key.proof("GET", "/userinfo") } });
    expect(await errorOf(noAth)).toMatchObject({ status: 401, error: "invalid_dpop_proof", error_description: expect.stringMatching(/must carry ath/) });
    const wrongAth = await op("/userinfo", { headers: { ...dpopAuth, dpop: await key.proof("GET", "/userinfo", { accessToken: `${at}x` }) } });
    expect(await errorOf(wrongAth)).toMatchObject({ status: 401, error: "invalid_dpop_proof", error_description: expect.stringMatching(/ath does not match/) });
    const wrongHtm = await op("/userinfo", { headers: { ...dpopAuth, dpop: await key.proof("POST", "/userinfo", { accessToken: at }) } });
    expect(await errorOf(wrongHtm)).toMatchObject({ status: 401, error: "invalid_dpop_proof", error_description: expect.stringMatching(/htm/) });
    const dpop = await key.proof("GET", "/userinfo", { accessToken: at });
    expect((await op("/userinfo", { headers: { ...dpopAuth, dpop } })).status).toBe(200);
    expect(await errorOf(await op("/userinfo", { headers: { ...dpopAuth, dpop } }))).toMatchObject({
      status: 401,
      error: "invalid_dpop_proof",
      error_description: expect.stringMatching(/already used/),
    });
  });

  it("userinfo asks for its nonce with 401 use_dpop_nonce and a DPoP challenge (§9)", async () => {
    const at = tokens.access_token as string;
    const res = await op("/userinfo", {
      headers: { authorization: `DPoP ${at}`, dpop: await key.proof("GET", "/userinfo", { accessToken: at, nonce: null }) },
    });
    expect(await errorOf(res)).toMatchObject({ status: 401, error: "use_dpop_nonce" });
    expect(res.headers.get("www-authenticate")).toMatch(/DPoP realm="[^"]+", error="use_dpop_nonce"/);
    expect(res.headers.get("dpop-nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("binds the refresh token to the key: refused with another key, without a proof, as a public client's Bearer; still usable after", async () => {
    const refresh = (k: DpopKey | undefined, token: string) => {
      const body = form({ grant_type: "refresh_token", refresh_token: token, client_id: flow.client.client_id });
      return k ? k.fetch("/token", body) : op("/token", body);
    };
    const intro = await op("/introspect", form({ token: tokens.refresh_token, client_id: flow.client.client_id }));
    expect(await intro.json()).toMatchObject({ active: true, token_type: "refresh_token", cnf: { jkt: key.jkt } });
    const other = await DpopKey.generate();
    expect(await errorOf(await refresh(other, tokens.refresh_token))).toMatchObject({
      status: 400,
      error: "invalid_grant",
      error_description: expect.stringMatching(/another DPoP key/),
    });
    expect(await errorOf(await refresh(undefined, tokens.refresh_token))).toMatchObject({
      status: 400,
      error: "invalid_grant",
      error_description: expect.stringMatching(/proof is required/),
    });
    // Neither attempt rotated the family nor set off reuse detection: the holder of the key refreshes.
    const ok = await refresh(key, tokens.refresh_token);
    expect(ok.status, await ok.clone().text()).toBe(200);
    const next = await ok.json<Record<string, any>>();
    expect(next.token_type).toBe("DPoP");
    expect(decodeJwt(next.access_token).cnf).toEqual({ jkt: key.jkt });
    expect(await errorOf(await refresh(other, next.refresh_token))).toMatchObject({ error: "invalid_grant" });
    tokens = { ...tokens, ...next };
  });

  it("revocation: a public client's bound token is revoked only with a proof by its key", async () => {
    const revoke = (k: DpopKey | undefined) => {
      const body = form({ token: tokens.refresh_token, client_id: flow.client.client_id });
      return k ? k.fetch("/revoke", body) : op("/revoke", body);
    };
    const active = async () =>
      (await (await op("/introspect", form({ token: tokens.refresh_token, client_id: flow.client.client_id }))).json<{ active: boolean }>()).active;
    expect((await revoke(undefined)).status).toBe(200);
    expect(await active()).toBe(true);
    expect((await revoke(await DpopKey.generate())).status).toBe(200);
    expect(await active()).toBe(true);
    expect((await revoke(key)).status).toBe(200);
    expect(await active()).toBe(false);
  });
});

describe("codes bound to a key by dpop_jkt (RFC 9449 §10)", () => {
  it("authorize's dpop_jkt: the code is redeemed only with a proof by that key", async () => {
    const bound = await DpopKey.generate();
    const other = await DpopKey.generate();
    const first = await publicFlow(undefined, { dpop_jkt: bound.jkt });
    expect(await errorOf(await first.redeem(other))).toMatchObject({
      status: 400,
      error: "invalid_grant",
      error_description: expect.stringMatching(/dpop_jkt/),
    });
    const second = await publicFlow(first.client, { dpop_jkt: bound.jkt });
    expect(await errorOf(await second.redeem(undefined))).toMatchObject({
      status: 400,
      error: "invalid_grant",
      error_description: expect.stringMatching(/DPoP proof is required/),
    });
    const third = await publicFlow(first.client, { dpop_jkt: bound.jkt });
    expect((await third.redeem(bound)).status).toBe(200);
  });

  it("a malformed dpop_jkt is invalid_request", async () => {
    const c = await registerClient({ token_endpoint_auth_method: "none" });
    const { redirect } = await authorize(new Browser(), c, { params: { dpop_jkt: "short" } });
    expect(redirect!.searchParams.get("error")).toBe("invalid_request");
  });

  it("PAR: the proof's key binds the code; a dpop_jkt that disagrees with the proof is refused (§10.1)", async () => {
    const c = await registerClient({ token_endpoint_auth_method: "none" });
    const k = await DpopKey.generate();
    const { params, verifier } = await codeRequestParams(c.redirect_uris[0]!);
    const push = (extra: Record<string, string> = {}) => k.fetch("/par", form({ ...params, ...extra, client_id: c.client_id }));
    const mismatch = await push({ dpop_jkt: (await DpopKey.generate()).jkt });
    expect(await errorOf(mismatch)).toMatchObject({ status: 400, error: "invalid_dpop_proof" });
    const pushed = await push();
    expect(pushed.status, await pushed.clone().text()).toBe(201);
    const { request_uri } = await pushed.json<{ request_uri: string }>();
    const browser = new Browser();
    const { navigate } = await import("../support/browser");
    const nav = await navigate(browser, `/authorize?${new URLSearchParams({ client_id: c.client_id, request_uri })}`);
    const code = nav.callback!.searchParams.get("code")!;
    const body = form({ grant_type: "authorization_code", code, redirect_uri: c.redirect_uris[0]!, code_verifier: verifier, client_id: c.client_id });
    const other = await DpopKey.generate();
    expect(await errorOf(await other.fetch("/token", body))).toMatchObject({ error: "invalid_grant" });
  });
});

describe("a DPoP proof in another JWT's role, and another JWT as a proof (RFC 8725 §3.11)", () => {
  it("a proof signed with the client's registered key is no client assertion nor request object", async () => {
    const { key: clientKey, publicJwk } = await requestObjectKey();
    const c = await machineClient(M2M_GRANTS, { ...m2m, token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [publicJwk] } });
    const now = Math.floor(Date.now() / 1000);
    const proofShaped = await new SignJWT({
      iss: c.client_id,
      sub: c.client_id,
      aud: `${ISSUER}/token`,
      exp: now + 60,
      jti: crypto.randomUUID(),
      htm: "POST",
      htu: `${ISSUER}/token`,
      iat: now,
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "dpop+jwt", jwk: publicJwk })
      .sign(clientKey);
    const asAssertion = await op(
      "/token",
      form({
        grant_type: "client_credentials",
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: proofShaped,
      }),
    );
    expect(await errorOf(asAssertion)).toMatchObject({ status: 401, error: "invalid_client" });
    const web = await registerClient({ token_endpoint_auth_method: "none", jwks: { keys: [publicJwk] } });
    const requestObject = await new SignJWT({
      iss: web.client_id,
      aud: ISSUER,
      client_id: web.client_id,
      response_type: "code",
      redirect_uri: web.redirect_uris[0],
      scope: "openid",
      htm: "GET",
      htu: `${ISSUER}/authorize`,
      jti: crypto.randomUUID(),
      iat: now,
    })
      .setProtectedHeader({ alg: "ES256", kid: "k1", typ: "dpop+jwt", jwk: publicJwk })
      .sign(clientKey);
    const res = await op(`/authorize?${new URLSearchParams({ client_id: web.client_id, request: requestObject })}`);
    const location = res.headers.get("location");
    const error = location ? new URL(location).searchParams.get("error") : (await res.text()).match(/invalid_request_object/)?.[0];
    expect(error).toBe("invalid_request_object");
  });

  it("a client assertion or a request object sent as the DPoP header is refused", async () => {
    const { key: clientKey, publicJwk } = await requestObjectKey();
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ iss: "x", sub: "x", aud: `${ISSUER}/token`, exp: now + 60, jti: crypto.randomUUID(), iat: now })
      .setProtectedHeader({ alg: "ES256", jwk: publicJwk })
      .sign(clientKey);
    const requestObject = await signRequestObject(
      { iss: "x", aud: ISSUER, response_type: "code", htm: "POST", htu: `${ISSUER}/token`, jti: crypto.randomUUID(), iat: now },
      clientKey,
    );
    for (const dpop of [assertion, requestObject]) {
      const res = await op(
        "/token",
        form({ grant_type: "client_credentials" }, { authorization: basicAuth(confidential.client_id, confidential.client_secret!), dpop }),
      );
      expect(await errorOf(res)).toMatchObject({ status: 400, error: "invalid_dpop_proof", error_description: expect.stringMatching(/typed "dpop\+jwt"/) });
    }
  });
});
