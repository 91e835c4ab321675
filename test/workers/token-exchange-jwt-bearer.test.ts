import { env } from "cloudflare:workers";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import opToken from "../../packages/op-token/src/index";
import { basicAuth, completeFlow, decodeJwt, grantClient, ISSUER, newResource, op, type RegisteredClient, registerClient, registerResource } from "./helpers";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const AT_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const ID_TYPE = "urn:ietf:params:oauth:token-type:id_token";

const tokenInit = (client: RegisteredClient, body: Record<string, string>): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
  body: new URLSearchParams(body),
});
const token = (client: RegisteredClient, body: Record<string, string>) => op("/token", tokenInit(client, body));
/** Straight into op-token's endpoint, for a different configuration than the running Workers'. */
const tokenRequest = (client: RegisteredClient, body: Record<string, string>) => new Request(`${ISSUER}/token`, tokenInit(client, body));
/** op-token's app run in the test with other variables (an operator setting). */
const tokenEndpoint = (request: Request, vars: typeof env) => opToken.fetch(request, vars);

describe("token exchange (RFC 8693)", () => {
  let user: Awaited<ReturnType<typeof completeFlow>>;
  let api: RegisteredClient;
  let apiResource: string;
  beforeAll(async () => {
    // A resource server (api): its own client, registered with the operator as the client of an
    // API whose tokens it may exchange for a downstream service.
    api = await registerClient({ grant_types: [TOKEN_EXCHANGE], redirect_uris: undefined });
    const registered = await registerResource(newResource({ client_ids: [api.client_id], downstream: ["test-downstream"] }));
    apiResource = registered.identifiers[0]!;
    // A web app whose user logged in; the operator lets it exchange its tokens for the api and downstream.
    user = await completeFlow({ grant_types: ["authorization_code", TOKEN_EXCHANGE] }, { params: { scope: "openid email" } });
    await grantClient(user.client.client_id, { token_exchange: [registered.id, "test-downstream"] });
  });
  const exchange = (client: RegisteredClient, extra: Record<string, string>) =>
    token(client, { grant_type: TOKEN_EXCHANGE, subject_token: user.tokens.access_token, subject_token_type: AT_TYPE, ...extra });

  it("exchanges the client's own token for one aimed at an allowed target, narrowing the scope", async () => {
    const res = await exchange(user.client, { resource: "https://downstream.example.com/", scope: "email" });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<Record<string, string>>();
    expect(body).toMatchObject({ issued_token_type: AT_TYPE, token_type: "Bearer", scope: "email" });
    const at = decodeJwt(body.access_token!);
    expect(at).toMatchObject({ sub: decodeJwt(user.tokens.access_token).sub, client_id: user.client.client_id, aud: "https://downstream.example.com/" });
    expect(at.act).toBeUndefined();
  });

  it("lets the addressed resource server exchange again, for its downstream resources only, recording the actor in act", async () => {
    const forApi = (await (await exchange(user.client, { audience: apiResource })).json<{ access_token: string }>()).access_token;
    // openid stays granted, so userinfo stays an audience beside the api.
    expect(decodeJwt(forApi).aud).toEqual([apiResource, `${ISSUER}/userinfo`]);
    const res = await token(api, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: forApi,
      subject_token_type: AT_TYPE,
      actor_token: forApi,
      actor_token_type: AT_TYPE,
      audience: "https://downstream.example.com/",
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const at = decodeJwt((await res.json<{ access_token: string }>()).access_token);
    expect(at).toMatchObject({
      client_id: api.client_id,
      aud: ["https://downstream.example.com/", `${ISSUER}/userinfo`],
      act: { sub: expect.any(String), client_id: user.client.client_id },
    });
    // Not for a resource outside its downstream list, and not from a token addressed to another API.
    const elsewhere = await token(api, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: forApi,
      subject_token_type: AT_TYPE,
      resource: "https://api.example.com/",
    });
    expect(await elsewhere.json()).toMatchObject({ error: "invalid_target" });
    const forDownstream = (await (await exchange(user.client, { resource: "https://downstream.example.com/" })).json<{ access_token: string }>()).access_token;
    const foreign = await token(api, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: forDownstream,
      subject_token_type: AT_TYPE,
      audience: "https://downstream.example.com/",
    });
    expect(await foreign.json()).toMatchObject({ error: "invalid_grant" });
  });

  it.each<[string, Record<string, string>, string]>([
    ["an unregistered target", { resource: "https://elsewhere.example.com/" }, "invalid_target"],
    ["an unregistered audience", { audience: "urn:example:elsewhere" }, "invalid_target"],
    ["a registered target the operator did not grant", { resource: "https://api.example.com/" }, "invalid_target"],
    ["a wider scope", { scope: "email phone" }, "invalid_scope"],
    ["an unsupported requested_token_type", { requested_token_type: ID_TYPE }, "invalid_request"],
    ["an actor_token_type without actor_token", { actor_token_type: AT_TYPE }, "invalid_request"],
    ["a garbage subject token", { subject_token: "abc" }, "invalid_grant"],
  ])("refuses %s", async (_n, extra, error) => {
    const res = await exchange(user.client, extra);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  it("refuses a token the client is neither issued nor addressed by, and a revoked one", async () => {
    expect(await (await exchange(api, {})).json()).toMatchObject({ error: "invalid_grant" });
    const fresh = await completeFlow({ grant_types: ["authorization_code", TOKEN_EXCHANGE] });
    await op("/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(fresh.client.client_id, fresh.client.client_secret!) },
      body: new URLSearchParams({ token: fresh.tokens.access_token }),
    });
    expect(
      await (await token(fresh.client, { grant_type: TOKEN_EXCHANGE, subject_token: fresh.tokens.access_token, subject_token_type: AT_TYPE })).json(),
    ).toMatchObject({ error: "invalid_grant" });
  });
});

describe("JWT bearer grant (RFC 7523 §2.1)", () => {
  let key: { privateKey: CryptoKey; publicKey: CryptoKey };
  let client: RegisteredClient;
  let aliceSub: string;
  beforeAll(async () => {
    key = await generateKeyPair("ES256", { extractable: true });
    client = await registerClient({
      grant_types: [JWT_BEARER],
      redirect_uris: undefined,
      jwks: { keys: [{ ...(await exportJWK(key.publicKey)), kid: "k" }] },
    });
    await grantClient(client.client_id, { client_credentials: [{ resource: "test-api", scopes: ["read"] }] });
    aliceSub = decodeJwt((await completeFlow()).tokens.access_token).sub;
  });
  const assertion = (sub: string, jti: string = crypto.randomUUID()) =>
    new SignJWT({ jti })
      .setProtectedHeader({ alg: "ES256", kid: "k" })
      .setIssuer(client.client_id)
      .setSubject(sub)
      .setAudience(ISSUER)
      .setIssuedAt()
      .setExpirationTime("2m")
      .sign(key.privateKey);

  it("issues a token for the client itself, within its client_credentials grant", async () => {
    const res = await token(client, { grant_type: JWT_BEARER, assertion: await assertion(client.client_id) });
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await res.json<Record<string, string>>();
    expect(body.scope).toBe("read");
    expect(decodeJwt(body.access_token!)).toMatchObject({ sub: client.client_id, aud: "https://api.example.com/" });
    for (const scope of ["write", "openid"]) {
      const refused = await token(client, { grant_type: JWT_BEARER, assertion: await assertion(client.client_id), scope });
      expect(await refused.json(), scope).toMatchObject({ error: "invalid_scope" });
    }
  });

  it("refuses a replayed assertion and, for an untrusted client, a user subject", async () => {
    const once = await assertion(client.client_id);
    expect((await token(client, { grant_type: JWT_BEARER, assertion: once })).status).toBe(200);
    expect(await (await token(client, { grant_type: JWT_BEARER, assertion: once })).json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await token(client, { grant_type: JWT_BEARER, assertion: await assertion(aliceSub) })).json()).toMatchObject({ error: "invalid_grant" });
    const stranger = await generateKeyPair("ES256");
    const forged = await new SignJWT({ jti: "x" })
      .setProtectedHeader({ alg: "ES256", kid: "k" })
      .setIssuer(client.client_id)
      .setSubject(client.client_id)
      .setAudience(ISSUER)
      .setExpirationTime("2m")
      .sign(stranger.privateKey);
    expect(await (await token(client, { grant_type: JWT_BEARER, assertion: forged })).json()).toMatchObject({ error: "invalid_grant" });
  });

  it("lets an operator-trusted client assert a user", async () => {
    const trusted = { ...env, JWT_BEARER_TRUSTED_CLIENTS: client.client_id };
    const res = await tokenEndpoint(tokenRequest(client, { grant_type: JWT_BEARER, assertion: await assertion(aliceSub), scope: "openid" }), trusted as never);
    expect(res.status).toBe(200);
    const at = decodeJwt((await res.json<{ access_token: string }>()).access_token);
    expect(at).toMatchObject({ sub: aliceSub, scope: "openid" });
    expect(
      (
        await op("/userinfo", {
          headers: {
            authorization: `Bearer ${(await (await tokenEndpoint(tokenRequest(client, { grant_type: JWT_BEARER, assertion: await assertion(aliceSub), scope: "openid" }), trusted as never)).json<{ access_token: string }>()).access_token}`,
          },
        })
      ).status,
    ).toBe(200);
    const unknownUser = await tokenEndpoint(tokenRequest(client, { grant_type: JWT_BEARER, assertion: await assertion("f".repeat(64)) }), trusted as never);
    expect(await unknownUser.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("lets a client the operator granted jwt_bearer any_user assert a user, for the OP's scopes and its granted resources", async () => {
    const trusted = await registerClient({
      grant_types: [JWT_BEARER],
      redirect_uris: undefined,
      jwks: { keys: [{ ...(await exportJWK(key.publicKey)), kid: "k" }] },
    });
    const signedBy = (sub: string) =>
      new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: "ES256", kid: "k" })
        .setIssuer(trusted.client_id)
        .setSubject(sub)
        .setAudience(ISSUER)
        .setIssuedAt()
        .setExpirationTime("2m")
        .sign(key.privateKey);
    expect(await (await token(trusted, { grant_type: JWT_BEARER, assertion: await signedBy(aliceSub) })).json()).toMatchObject({ error: "invalid_grant" });
    await grantClient(trusted.client_id, { jwt_bearer: "any_user", client_credentials: [{ resource: "test-api", scopes: ["read"] }] });
    const res = await token(trusted, {
      grant_type: JWT_BEARER,
      assertion: await signedBy(aliceSub),
      scope: "openid read",
      resource: "https://api.example.com/",
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(decodeJwt((await res.json<{ access_token: string }>()).access_token)).toMatchObject({
      sub: aliceSub,
      scope: "openid read",
      aud: ["https://api.example.com/", `${ISSUER}/userinfo`],
    });
    const beyond = await token(trusted, { grant_type: JWT_BEARER, assertion: await signedBy(aliceSub), resource: "https://other.example.com/" });
    expect(await beyond.json()).toMatchObject({ error: "invalid_target" });
  });

  it("registration requires keys for it", async () => {
    const res = await op("/register", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_types: [JWT_BEARER] }) });
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });
});
