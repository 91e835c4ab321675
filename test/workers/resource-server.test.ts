import { AuthError, protectedResource, protectedResourceMetadataUrl, type VerifiedToken, wwwAuthenticate } from "@op/resource-server";
import { type AuthVariables, protectedResourceMetadata, requireAuth } from "@op/resource-server/hono";
import { Hono } from "hono";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { b64json, basicAuth, completeFlow, decodeJwt, ISSUER, op } from "./helpers";
import {
  apiRequest,
  certificateBoundToken,
  challenges,
  kit,
  METADATA_URL,
  machineToken,
  opFetch,
  RESOURCE,
  syntheticIssuer,
  tlsClientAuth,
  userTokens,
} from "./resource-server-helpers";

/**
 * packages/resource-server against the OP of the test runtime: its tokens, JWKS, introspection
 * and revocation, reached in-process as a service binding would reach them.
 */

async function refused(rs: ReturnType<typeof kit>, request: Request, requirements = {}) {
  const result = await rs.authenticate(request, requirements);
  if (result.ok) throw new Error("the token was accepted");
  const body =
    result.response.status === 503 || result.response.headers.get("content-type") ? await result.response.clone().json<Record<string, string>>() : null;
  return { status: result.response.status, challenge: challenges(result.response.headers.get("www-authenticate")), body, response: result.response };
}

describe("access tokens from the OP", () => {
  it("accepts a token issued for the resource, and tells who called", async () => {
    const { client, token } = await machineToken();
    const result = await kit().authenticate(apiRequest(`Bearer ${token}`));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.token).toMatchObject({ sub: client.client_id, clientId: client.client_id, scopes: ["read"], audience: [RESOURCE], scheme: "Bearer" });
    expect(result.token.claims.iss).toBe(ISSUER);
  });

  it("accepts a user's token, with its acr and auth_time", async () => {
    const { client, accessToken } = await userTokens();
    const token = await kit().verify(apiRequest(`Bearer ${accessToken}`));
    expect(token.clientId).toBe(client.client_id);
    expect(token.audience).toEqual([RESOURCE, `${ISSUER}/userinfo`]);
    expect(token.claims.acr).toBeTypeOf("string");
    expect(token.claims.auth_time).toBeTypeOf("number");
  });

  it("without a token: 401, a challenge naming the metadata, and no error code (RFC 6750 §3.1, RFC 9728 §5.1)", async () => {
    for (const request of [apiRequest(), apiRequest("Basic dXNlcjpwYXNz")]) {
      const r = await refused(kit(), request, { scopes: ["read"] });
      expect(r.status).toBe(401);
      expect(r.challenge.Bearer).toEqual({ scope: "read", resource_metadata: METADATA_URL });
      expect(r.challenge.DPoP).toMatchObject({ resource_metadata: METADATA_URL, algs: expect.stringContaining("ES256") });
      expect(r.response.headers.get("www-authenticate")!.startsWith("Bearer ")).toBe(true);
      expect(await r.response.text()).toBe("");
    }
  });

  it.each([
    ["no token after the scheme", "Bearer"],
    ["two tokens", "Bearer abc def"],
    ["two Authorization headers", "Bearer abc, Bearer def"],
    ["a token outside b64token", 'Bearer a"b'],
  ])("a malformed Authorization header (%s) is invalid_request (400)", async (_n, header) => {
    const r = await refused(kit(), apiRequest(header));
    expect(r.status).toBe(400);
    expect(r.challenge.Bearer).toMatchObject({ error: "invalid_request", resource_metadata: METADATA_URL });
  });

  it("refuses a token for another audience, and one for userinfo only", async () => {
    const forAnother = (await machineToken({ resources: ["https://other.example.com/api"] })).token;
    const forUserinfo = (await completeFlow({}, { params: { scope: "openid" } })).tokens.access_token as string;
    expect(decodeJwt(forUserinfo).aud).toBe(`${ISSUER}/userinfo`);
    for (const token of [forAnother, forUserinfo]) {
      const r = await refused(kit(), apiRequest(`Bearer ${token}`));
      expect(r.status).toBe(401);
      expect(r.challenge.Bearer).toMatchObject({ error: "invalid_token", error_description: "the access token is not for this resource" });
    }
  });

  it("refuses an expired token", async () => {
    const { token } = await machineToken();
    const exp = decodeJwt(token).exp as number;
    const later = kit({ clock: () => (exp + 61) * 1000 });
    const r = await refused(later, apiRequest(`Bearer ${token}`));
    expect(r.challenge.Bearer).toMatchObject({ error: "invalid_token", error_description: "the access token has expired" });
    // Within the clock tolerance (60 s by default) it is still good.
    expect((await kit({ clock: () => (exp + 30) * 1000 }).authenticate(apiRequest(`Bearer ${token}`))).ok).toBe(true);
  });

  it("refuses a token from another issuer, even one signed with the same keys", async () => {
    const { token } = await machineToken();
    const rs = kit({ issuer: "https://other-op.example.com", jwksUri: `${ISSUER}/jwks` });
    const r = await refused(rs, apiRequest(`Bearer ${token}`));
    expect(r.challenge.Bearer).toMatchObject({ error: "invalid_token", error_description: "the access token is from another issuer" });
  });

  it("refuses a tampered token and one signed with a key the OP does not have", async () => {
    const { token } = await machineToken();
    const [header, payload, signature] = token.split(".");
    const tampered = `${header}.${b64json({ ...decodeJwt(token), scope: "read write" })}.${signature}`;
    expect((await refused(kit(), apiRequest(`Bearer ${tampered}`))).challenge.Bearer).toMatchObject({
      error: "invalid_token",
      error_description: "the access token's signature is invalid",
    });
    const { privateKey } = await generateKeyPair("ES256");
    const kid = JSON.parse(atob(header!.replace(/-/g, "+").replace(/_/g, "/"))).kid as string;
    const claims = decodeJwt(`${header}.${payload}.${signature}`);
    // The OP's kid over a foreign key: the signature fails; an unknown kid: no key.
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid, typ: "at+jwt" }).sign(privateKey);
    expect((await refused(kit(), apiRequest(`Bearer ${forged}`))).challenge.Bearer!.error_description).toBe("the access token's signature is invalid");
    const unknownKid = await new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "no-such-key", typ: "at+jwt" }).sign(privateKey);
    expect((await refused(kit(), apiRequest(`Bearer ${unknownKid}`))).challenge.Bearer!.error_description).toBe(
      "the access token is signed with an unknown key",
    );
  });

  it("refuses unsigned and HMAC tokens", async () => {
    const { token } = await machineToken();
    const claims = decodeJwt(token);
    const none = `${b64json({ alg: "none", typ: "at+jwt" })}.${b64json(claims)}.`;
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "at+jwt" }).sign(new TextEncoder().encode("x".repeat(32)));
    for (const t of [none, hmac]) expect((await refused(kit(), apiRequest(`Bearer ${t}`))).challenge.Bearer!.error).toBe("invalid_token");
  });

  it("refuses an ID token presented as an access token (typ, RFC 9068 §4)", async () => {
    const { client, idToken } = await userTokens();
    // aud of an ID token is the client: accept that audience here, so that typ alone refuses it.
    const rs = kit({ additionalAudiences: [client.client_id] });
    const r = await refused(rs, apiRequest(`Bearer ${idToken}`));
    expect(r.challenge.Bearer).toMatchObject({ error: "invalid_token", error_description: "the token is not an access token (typ must be at+jwt)" });
  });

  it("a token without the route's scope: 403 insufficient_scope naming the scopes needed", async () => {
    const { token } = await machineToken({ scope: "read" });
    const r = await refused(kit(), apiRequest(`Bearer ${token}`), { scopes: ["read", "write"] });
    expect(r.status).toBe(403);
    expect(r.challenge.Bearer).toMatchObject({ error: "insufficient_scope", scope: "read write", resource_metadata: METADATA_URL });
    expect(r.body).toMatchObject({ error: "insufficient_scope" });
    expect((await kit().authenticate(apiRequest(`Bearer ${token}`), { scopes: ["read"] })).ok).toBe(true);
  });
});

describe("step-up authentication (RFC 9470)", () => {
  it("asks for an acr the token lacks, and for a more recent login than max_age allows", async () => {
    const { accessToken } = await userTokens();
    const claims = decodeJwt(accessToken);
    const acr = await refused(kit(), apiRequest(`Bearer ${accessToken}`), { acrValues: ["urn:example:mfa", "urn:example:hwk"] });
    expect(acr.status).toBe(401);
    expect(acr.challenge.Bearer).toMatchObject({ error: "insufficient_user_authentication", acr_values: "urn:example:mfa urn:example:hwk" });
    expect(acr.challenge.Bearer!.max_age).toBeUndefined();
    expect((await kit().authenticate(apiRequest(`Bearer ${accessToken}`), { acrValues: [claims.acr] })).ok).toBe(true);

    const later = kit({ clock: () => (claims.auth_time + 120) * 1000 });
    const age = await refused(later, apiRequest(`Bearer ${accessToken}`), { maxAge: 60 });
    expect(age.challenge.Bearer).toMatchObject({ error: "insufficient_user_authentication", max_age: "60" });
    expect((await later.authenticate(apiRequest(`Bearer ${accessToken}`), { maxAge: 300 })).ok).toBe(true);
  });

  it("a token without auth_time (client_credentials) never meets max_age", async () => {
    const { token } = await machineToken();
    const r = await refused(kit(), apiRequest(`Bearer ${token}`), { maxAge: 3600 });
    expect(r.challenge.Bearer).toMatchObject({ error: "insufficient_user_authentication", max_age: "3600" });
  });
});

describe("introspection (RFC 7662) for immediate revocation", () => {
  const revoke = (client: { client_id: string; client_secret?: string }, token: string) =>
    op("/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams({ token }),
    });

  it("accepts an active token, and refuses it once revoked, where the signature alone still passes", async () => {
    const { client, token } = await machineToken();
    const rs = kit({ introspection: { clientId: client.client_id, clientSecret: client.client_secret! } });
    const before = await rs.verify(apiRequest(`Bearer ${token}`));
    expect(before.introspection).toMatchObject({ active: true, client_id: client.client_id });
    expect((await revoke(client, token)).status).toBe(200);
    const r = await refused(rs, apiRequest(`Bearer ${token}`));
    expect(r.challenge.Bearer).toMatchObject({ error: "invalid_token", error_description: "the access token is no longer active" });
    expect((await kit().authenticate(apiRequest(`Bearer ${token}`))).ok).toBe(true);
    // A route may skip it.
    expect((await rs.authenticate(apiRequest(`Bearer ${token}`), { introspect: false })).ok).toBe(true);
  });

  it("client_secret_post works too; wrong credentials are the OP's refusal, not the token's (503)", async () => {
    // The OP holds a client to its registered method: this one registered client_secret_post.
    const { client, token } = await machineToken({ authMethod: "client_secret_post" });
    const post = kit({ introspection: { clientId: client.client_id, clientSecret: client.client_secret!, authMethod: "client_secret_post" } });
    expect((await post.authenticate(apiRequest(`Bearer ${token}`))).ok).toBe(true);
    const wrong = kit({ introspection: { clientId: client.client_id, clientSecret: "not-the-secret", authMethod: "client_secret_post" } });
    expect((await refused(wrong, apiRequest(`Bearer ${token}`))).status).toBe(503);
  });

  it("today the OP answers active:false to a client that is neither the token's nor in its aud: refused", async () => {
    const { token } = await machineToken();
    const { client: other } = await machineToken();
    const rs = kit({ introspection: { clientId: other.client_id, clientSecret: other.client_secret! } });
    expect((await refused(rs, apiRequest(`Bearer ${token}`))).challenge.Bearer!.error).toBe("invalid_token");
  });
});

describe("certificate-bound tokens (RFC 8705 §3) with cf.tlsClientAuth", () => {
  it("accepts the token only over TLS with the certificate it is bound to", async () => {
    const der = crypto.getRandomValues(new Uint8Array(300));
    const token = await certificateBoundToken(der);
    expect(decodeJwt(token).cnf["x5t#S256"]).toBeTypeOf("string");
    const ok = await kit().verify(apiRequest(`Bearer ${token}`, { cf: { tlsClientAuth: await tlsClientAuth(der) } }));
    expect(ok.certificateThumbprint).toBe(decodeJwt(token).cnf["x5t#S256"]);

    const other = await tlsClientAuth(crypto.getRandomValues(new Uint8Array(300)));
    const revoked = { ...(await tlsClientAuth(der)), certRevoked: "1" };
    for (const [cf, description] of [
      [undefined, "the access token is bound to a client certificate, and none was presented"],
      [{ tlsClientAuth: { certPresented: "0" } }, "the access token is bound to a client certificate, and none was presented"],
      [{ tlsClientAuth: revoked }, "the access token is bound to a client certificate, and none was presented"],
      [{ tlsClientAuth: other }, "the access token is bound to another client certificate"],
    ] as const) {
      const r = await refused(kit(), apiRequest(`Bearer ${token}`, cf ? { cf } : {}));
      expect(r.challenge.Bearer).toMatchObject({ error: "invalid_token", error_description: description });
    }
  });

  it("reads the development certificate header only when told to", async () => {
    const der = crypto.getRandomValues(new Uint8Array(300));
    const token = await certificateBoundToken(der);
    const headers = { "x-dev-tls-client-auth": JSON.stringify(await tlsClientAuth(der)) };
    expect((await kit().authenticate(apiRequest(`Bearer ${token}`, { headers }))).ok).toBe(false);
    expect((await kit({ mtls: { developmentHeader: true } }).authenticate(apiRequest(`Bearer ${token}`, { headers }))).ok).toBe(true);
  });
});

describe("protected resource metadata (RFC 9728)", () => {
  it("is path-aware: the well-known suffix goes between host and path", () => {
    expect(protectedResourceMetadataUrl("https://mcp.example.com/mcp")).toBe(METADATA_URL);
    expect(protectedResourceMetadataUrl("https://api.example.com/")).toBe("https://api.example.com/.well-known/oauth-protected-resource");
    expect(protectedResourceMetadataUrl("https://api.example.com")).toBe("https://api.example.com/.well-known/oauth-protected-resource");
    expect(protectedResourceMetadataUrl("https://api.example.com:8443/v1/tools/")).toBe(
      "https://api.example.com:8443/.well-known/oauth-protected-resource/v1/tools/",
    );
    expect(kit().metadataUrl).toBe(METADATA_URL);
  });

  it("serves the document on its path only, naming this OP", async () => {
    const rs = kit({ resourceName: "Example MCP", mtls: { advertise: true } });
    const res = rs.metadataResponse(new Request(METADATA_URL))!;
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(await res.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      scopes_supported: ["read", "write"],
      bearer_methods_supported: ["header"],
      resource_name: "Example MCP",
      tls_client_certificate_bound_access_tokens: true,
      dpop_signing_alg_values_supported: ["ES256", "PS256", "EdDSA"], // the OP's default DPoP allow-list (core/dpop-algs.ts),
    });
    expect(rs.metadataResponse(new Request("https://mcp.example.com/.well-known/oauth-protected-resource"))).toBeNull();
    expect(rs.metadataResponse(new Request("https://mcp.example.com/.well-known/oauth-protected-resource/other"))).toBeNull();
    expect(rs.metadataResponse(new Request(RESOURCE))).toBeNull();
    expect(rs.metadataResponse(new Request(METADATA_URL, { method: "POST" }))!.status).toBe(405);
    expect(rs.metadataResponse(new Request(METADATA_URL, { method: "OPTIONS" }))!.status).toBe(204);
    const root = kit({ serveAtRoot: true }).metadataResponse(new Request("https://mcp.example.com/.well-known/oauth-protected-resource"))!;
    expect(await root.json()).toMatchObject({ resource: RESOURCE });
    const rootResource = kit({ resource: "https://api.example.com/" });
    expect(await rootResource.metadataResponse(new Request("https://api.example.com/.well-known/oauth-protected-resource"))!.json()).toMatchObject({
      resource: "https://api.example.com/",
    });
  });

  it("without DPoP, neither the document nor the challenges offer it", async () => {
    const rs = kit({ dpop: false });
    expect(rs.metadata.dpop_signing_alg_values_supported).toBeUndefined();
    const r = await refused(rs, apiRequest());
    expect(Object.keys(r.challenge)).toEqual(["Bearer"]);
  });
});

describe("configuration", () => {
  it.each([
    ["an http issuer off localhost", { issuer: "http://op.example.com" }],
    ["a resource with a fragment", { resource: "https://mcp.example.com/mcp#x" }],
    ["an HMAC algorithm", { algorithms: ["HS256"] }],
    ["an unknown option", { audiance: "x" }],
    ["introspection without a secret", { introspection: { clientId: "c" } }],
  ])("refuses %s", (_n, bad) => {
    expect(() => protectedResource({ issuer: ISSUER, resource: RESOURCE, ...bad } as never)).toThrow(TypeError);
  });
});

describe("the OP's keys: discovery, caching, rotation", () => {
  it("discovers the JWKS from the issuer's RFC 8414 metadata, once, and keeps the keys per Cache-Control within bounds", async () => {
    const as = await syntheticIssuer();
    let now = Date.now();
    const rs = () => protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch, clock: () => now });
    const token = await as.sign();
    for (let i = 0; i < 3; i++) expect((await rs().authenticate(apiRequest(`Bearer ${token}`))).ok).toBe(true);
    // One fetch each, shared by every instance of the kit in the isolate.
    expect(as.state.requests).toEqual({ metadata: 1, jwks: 1 });
    now += 59_000;
    await rs().verify(apiRequest(`Bearer ${token}`));
    expect(as.state.requests.jwks).toBe(1);
    now += 2000; // past max-age=60
    await rs().verify(apiRequest(`Bearer ${token}`));
    expect(as.state.requests.jwks).toBe(2);
    // max-age=0 is held to the 30 s floor.
    as.state.cacheControl = "no-cache";
    now += 61_000;
    await rs().verify(apiRequest(`Bearer ${token}`));
    expect(as.state.requests.jwks).toBe(3);
    now += 29_000;
    await rs().verify(apiRequest(`Bearer ${token}`));
    expect(as.state.requests.jwks).toBe(3);
  });

  it("refetches once on an unknown kid (a key published ahead of use), and no more often than the cooldown", async () => {
    const as = await syntheticIssuer();
    let now = Date.now();
    const rs = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch, clock: () => now });
    await rs.verify(apiRequest(`Bearer ${await as.sign()}`));
    now += 20_000;
    await as.addKey("k2");
    const rotated = await as.sign({}, { kid: "k2" });
    expect((await rs.authenticate(apiRequest(`Bearer ${rotated}`))).ok).toBe(true);
    expect(as.state.requests.jwks).toBe(2);
    // Random kids: refused, and at most one refetch per cooldown (15 s).
    const { privateKey } = await generateKeyPair("ES256");
    for (let i = 0; i < 5; i++) {
      const junk = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: `junk-${i}`, typ: "at+jwt" }).sign(privateKey);
      expect((await rs.authenticate(apiRequest(`Bearer ${junk}`))).ok).toBe(false);
    }
    expect(as.state.requests.jwks).toBe(2);
    now += 16_000;
    const junk = await new SignJWT({}).setProtectedHeader({ alg: "ES256", kid: "junk-late", typ: "at+jwt" }).sign(privateKey);
    await rs.authenticate(apiRequest(`Bearer ${junk}`));
    expect(as.state.requests.jwks).toBe(3);
  });

  it("keeps verifying with the keys it has while the OP is down; with none, answers 503, not invalid_token", async () => {
    const as = await syntheticIssuer();
    let now = Date.now();
    const rs = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch, clock: () => now });
    const token = await as.sign();
    await rs.verify(apiRequest(`Bearer ${token}`));
    as.state.down = true;
    now += 120_000;
    expect((await rs.authenticate(apiRequest(`Bearer ${token}`))).ok).toBe(true);

    const fresh = await syntheticIssuer();
    fresh.state.down = true;
    const cold = protectedResource({ issuer: fresh.issuer, resource: RESOURCE, fetch: fresh.fetch });
    const result = await cold.authenticate(apiRequest(`Bearer ${await fresh.sign()}`));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.response.status).toBe(503);
    expect(result.response.headers.get("www-authenticate")).toBeNull();
  });

  it("refuses metadata that names another issuer (RFC 8414 §3.3)", async () => {
    const as = await syntheticIssuer();
    const liar = async (request: Request) =>
      new URL(request.url).pathname.startsWith("/.well-known")
        ? Response.json({ issuer: "https://evil.example", jwks_uri: `${as.issuer}/jwks` })
        : as.fetch(request);
    const rs = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: liar });
    const result = await rs.authenticate(apiRequest(`Bearer ${await as.sign()}`));
    expect(!result.ok && result.response.status).toBe(503);
  });

  it("picks the JWKS of the real OP from its metadata (jwks_uri)", async () => {
    const metadata = await (await opFetch(new Request(`${ISSUER}/.well-known/oauth-authorization-server`))).json<{ jwks_uri: string }>();
    expect(metadata.jwks_uri).toBe(`${ISSUER}/jwks`);
    const jwks = await (await opFetch(new Request(metadata.jwks_uri))).json<{ keys: { use?: string }[] }>();
    expect(jwks.keys.some((k) => k.use === "enc")).toBe(true); // which the kit leaves out
  });
});

describe("hono", () => {
  it("requireAuth sets c.get('auth'); protectedResourceMetadata serves the document", async () => {
    type Bindings = { ISSUER: string };
    const app = new Hono<{ Bindings: Bindings; Variables: AuthVariables }>();
    const rs = (c: { env: Bindings }) => protectedResource({ issuer: c.env.ISSUER, resource: RESOURCE, fetch: opFetch });
    app.use(protectedResourceMetadata<Bindings>(rs));
    app.use("/mcp", requireAuth<Bindings>(rs, { scopes: ["read"] }));
    app.post("/mcp", (c) => c.json({ sub: c.get("auth").sub }));
    const env = { ISSUER };

    const { client, token } = await machineToken();
    const ok = await app.fetch(apiRequest(`Bearer ${token}`), env);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: client.client_id });
    const anonymous = await app.fetch(apiRequest(), env);
    expect(anonymous.status).toBe(401);
    expect(challenges(anonymous.headers.get("www-authenticate")).Bearer!.resource_metadata).toBe(METADATA_URL);
    const doc = await app.fetch(new Request(METADATA_URL), env);
    expect(await doc.json()).toMatchObject({ resource: RESOURCE, authorization_servers: [ISSUER] });
  });

  it("a plain fetch handler: protect() runs the handler only with a valid token", async () => {
    const rs = kit();
    const handler = (request: Request) =>
      rs.metadataResponse(request) ?? rs.protect(request, { scopes: ["read"] }, (t: VerifiedToken) => Response.json({ sub: t.sub }));
    const { client, token } = await machineToken();
    expect(await (await handler(apiRequest(`Bearer ${token}`))).json()).toEqual({ sub: client.client_id });
    expect((await handler(apiRequest("Bearer nope"))).status).toBe(401);
    expect((await handler(new Request(METADATA_URL))).status).toBe(200);
  });
});

// Keep the public JWK helpers used (exportJWK) honest: a JWK set member with private parts is never a verification key.
describe("the JWKS filter", () => {
  it("ignores private and symmetric members of a JWKS", async () => {
    const as = await syntheticIssuer();
    const pair = await generateKeyPair("ES256", { extractable: true });
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: "priv", alg: "ES256" };
    as.state.keys.push(privateJwk, { kty: "oct", k: "c2VjcmV0", kid: "sym", alg: "HS256" });
    const rs = protectedResource({ issuer: as.issuer, resource: RESOURCE, fetch: as.fetch });
    const token = await new SignJWT({ iss: as.issuer, aud: RESOURCE, sub: "s", client_id: "c", iat: 1, exp: 4102444800, jti: "j" })
      .setProtectedHeader({ alg: "ES256", kid: "priv", typ: "at+jwt" })
      .sign(pair.privateKey);
    const r = await refused(rs as never, apiRequest(`Bearer ${token}`));
    expect(r.challenge.Bearer!.error_description).toBe("the access token is signed with an unknown key");
  });
});

describe("challenges (RFC 6750 §3, RFC 9449 §7.1)", () => {
  it("keep error_description to the characters RFC 6750 allows, and need no metadata URL", () => {
    const e = new AuthError("invalid_token", 'bad "token" \\ é', { scheme: "Bearer" });
    expect(wwwAuthenticate(e, { bearer: true })).toBe('Bearer error="invalid_token", error_description="bad token  "');
    expect(wwwAuthenticate(new AuthError(undefined, "none"), { bearer: true, dpopAlgs: ["ES256"] })).toBe('Bearer, DPoP algs="ES256"');
  });
});
