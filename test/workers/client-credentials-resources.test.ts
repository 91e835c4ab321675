import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { getConfig } from "@op/core";
import { clientCredentialsGrantId, grantObject } from "@op/storage";
import { describe, expect, it } from "vitest";
import { basicAuth, completeFlow, decodeJwt, ISSUER, machineClient, op, type RegisteredClient, registerClient } from "./helpers";

const token = (client: RegisteredClient, body: string | URLSearchParams) =>
  op("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
    body,
  });
// redirect_uris: undefined drops the helper's default: a machine client has none.
const m2m = { grant_types: ["client_credentials"], redirect_uris: undefined };
/** The operator's grant: the test API (test/support/test-resources.ts: scopes read and write, both default). */
const API_GRANT = { client_credentials: [{ resource: "test-api", scopes: ["read", "write"] }] };

describe("client_credentials grant (RFC 6749 §4.4)", () => {
  it("issues an access token for the client itself, no refresh token, for the resource and scopes the operator granted", async () => {
    const client = await machineClient(API_GRANT, m2m);
    expect(client.redirect_uris).toEqual([]);
    expect(client.response_types).toEqual([]);
    const res = await token(client, "grant_type=client_credentials&scope=read");
    expect(res.status).toBe(200);
    const body = await res.json<Record<string, string | number>>();
    expect(body).toMatchObject({ token_type: "Bearer", scope: "read", expires_in: 3600 });
    expect(body.refresh_token).toBeUndefined();
    expect(body.id_token).toBeUndefined();
    // Its one granted resource, exactly, when none is named (RFC 8707 §2 leaves the default to the server).
    expect(decodeJwt(body.access_token as string)).toMatchObject({
      sub: client.client_id,
      client_id: client.client_id,
      scope: "read",
      aud: "https://api.example.com/",
    });
    // The resource's default scopes that are granted, when none is asked for.
    expect((await (await token(client, "grant_type=client_credentials")).json<{ scope: string }>()).scope).toBe("read write");
  });

  it("refuses scopes beyond the grant, the OP's own scopes, and clients without the grant type or any grant", async () => {
    const client = await machineClient({ client_credentials: [{ resource: "test-api", scopes: ["read"] }] }, m2m);
    for (const scope of ["read admin", "read write", "openid", "offline_access"]) {
      expect(await (await token(client, `grant_type=client_credentials&scope=${encodeURIComponent(scope)}`)).json(), scope).toMatchObject({
        error: "invalid_scope",
      });
    }
    // Without scope: the defaults that are granted (write is a default of the API, not granted).
    expect((await (await token(client, "grant_type=client_credentials")).json<{ scope: string }>()).scope).toBe("read");
    const web = await registerClient();
    expect(await (await token(web, "grant_type=client_credentials")).json()).toMatchObject({ error: "unauthorized_client" });
    const ungranted = await registerClient({ ...m2m, scope: "read write" });
    const refused = await token(ungranted, "grant_type=client_credentials&scope=read");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: "unauthorized_client" });
  });

  it("needs a resource once the client may obtain tokens for several, and takes its lifetime from it", async () => {
    const client = await machineClient(
      {
        client_credentials: [
          { resource: "test-api", scopes: ["read"] },
          { resource: "test-other", scopes: ["read"] },
        ],
      },
      m2m,
    );
    const ambiguous = await token(client, "grant_type=client_credentials&scope=read");
    expect(await ambiguous.json()).toMatchObject({ error: "invalid_target", error_description: expect.stringContaining("resource is required") });
    const other = await token(client, new URLSearchParams({ grant_type: "client_credentials", resource: "https://other.example.com/api" }));
    const body = await other.json<{ access_token: string; scope: string }>();
    // An identifier other than the resource's first: the token names exactly the one requested.
    expect(decodeJwt(body.access_token).aud).toBe("https://other.example.com/api");
    expect(body.scope).toBe("read");
  });

  it("public clients cannot register for it", async () => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...m2m, token_endpoint_auth_method: "none" }),
    });
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });

  it("its tokens can be introspected and revoked", async () => {
    const client = await machineClient(API_GRANT, m2m);
    const { access_token } = await (await token(client, "grant_type=client_credentials")).json<{ access_token: string }>();
    const introspect = () =>
      op("/introspect", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
        body: new URLSearchParams({ token: access_token }),
      });
    expect(await (await introspect()).json()).toMatchObject({ active: true, sub: client.client_id });
    await op("/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams({ token: access_token }),
    });
    expect(await (await introspect()).json()).toEqual({ active: false });
  });

  it("all tokens of a client name its one grant; revoking one leaves the others active", async () => {
    const client = await machineClient(API_GRANT, m2m);
    const issue = async () => (await (await token(client, "grant_type=client_credentials")).json<{ access_token: string }>()).access_token;
    const [a, b] = [await issue(), await issue()];
    expect(decodeJwt(a).gid).toBe(clientCredentialsGrantId(client.client_id));
    expect(decodeJwt(b).gid).toBe(decodeJwt(a).gid);
    const form = (t: string) => ({
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams({ token: t }),
    });
    expect((await op("/revoke", form(a))).status).toBe(200);
    expect(await (await op("/introspect", form(a))).json()).toEqual({ active: false });
    expect(await (await op("/introspect", form(b))).json()).toMatchObject({ active: true, jti: decodeJwt(b).jti });
    // Another client cannot revoke it (RFC 7009 §2.1): still active.
    const other = await machineClient(API_GRANT, m2m);
    await op("/revoke", { ...form(b), headers: { ...form(b).headers, authorization: basicAuth(other.client_id, other.client_secret!) } });
    expect(await (await op("/introspect", form(b))).json()).toMatchObject({ active: true });
  });

  it("the client's grant outlives its tokens, and drops revocation records once their tokens have expired", async () => {
    const client = await machineClient(API_GRANT, m2m);
    const { access_token } = await (await token(client, "grant_type=client_credentials")).json<{ access_token: string }>();
    const claims = decodeJwt(access_token) as { exp: number; jti: string };
    const stub = grantObject(env, clientCredentialsGrantId(client.client_id));
    const config = getConfig(env);
    await runInDurableObject(stub, async (_instance, state) => {
      const grant = state.storage.kv.get<{ expiresAt: number }>("grant")!;
      expect(grant.expiresAt).toBeGreaterThan((claims.exp + config.clockSkew) * 1000);
      expect(await state.storage.getAlarm()).toBe(grant.expiresAt);
      // A record older than any token it could concern, and a fresh one.
      state.storage.kv.put("revoked-jti:old", Date.now() - (config.ttl.accessToken + config.clockSkew + 1) * 1000);
      state.storage.kv.put(`revoked-jti:${claims.jti}`, Date.now());
    });
    const now = Date.now();
    await stub.activate({
      grantId: clientCredentialsGrantId(client.client_id),
      clientId: client.client_id,
      sub: client.client_id,
      scope: "",
      resources: [],
      authTimeRequired: false,
      createdAt: now,
      expiresAt: now + 1000,
      offline: false,
    });
    await runInDurableObject(stub, async (_instance, state) => {
      expect(state.storage.kv.get("revoked-jti:old")).toBeUndefined();
      expect(state.storage.kv.get(`revoked-jti:${claims.jti}`)).toBeDefined();
      // A shorter activation neither shortens the grant nor moves its alarm earlier.
      expect(await state.storage.getAlarm()).toBe(state.storage.kv.get<{ expiresAt: number }>("grant")!.expiresAt);
      expect(state.storage.kv.get<{ expiresAt: number }>("grant")!.expiresAt).toBeGreaterThan(now + 1000);
    });
  });
});

describe("resource indicators (RFC 8707)", () => {
  it("restrict client_credentials tokens to the named resources", async () => {
    const client = await machineClient(
      {
        client_credentials: [
          { resource: "test-api", scopes: ["read", "write"] },
          { resource: "test-other", scopes: ["read"] },
        ],
      },
      m2m,
    );
    const body = new URLSearchParams([
      ["grant_type", "client_credentials"],
      ["resource", "https://api.example.com/"],
      ["resource", "https://other.example.com/"],
    ]);
    const at = decodeJwt((await (await token(client, body)).json<{ access_token: string }>()).access_token);
    expect(at.aud).toEqual(["https://api.example.com/", "https://other.example.com/"]);
    expect(at.scope).toBe("read write");
  });

  it.each([
    ["not absolute", "api"],
    ["with a fragment", "https://api.example.com/#x"],
    ["not registered", "https://unregistered.example.com/"],
    ["for the userinfo endpoint (a client's own token names no user)", `${ISSUER}/userinfo`],
  ])("refuse a resource %s with invalid_target", async (_n, resource) => {
    const client = await machineClient(API_GRANT, m2m);
    const res = await token(client, new URLSearchParams({ grant_type: "client_credentials", resource }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_target" });
  });

  it("flow from the authorization request through code and refresh, narrowing but never widening", async () => {
    const { client, tokens } = await completeFlow({}, { params: { scope: "openid offline_access", prompt: "consent", resource: "https://api.example.com/" } });
    const at = decodeJwt(tokens.access_token);
    // openid was granted, so userinfo stays in the audience beside the resource.
    expect(at.aud).toEqual(["https://api.example.com/", `${ISSUER}/userinfo`]);
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    const widen = await token(
      client,
      new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, resource: "https://evil.example.com/" }),
    );
    expect(await widen.json()).toMatchObject({ error: "invalid_target" });
    // The refused request did not burn the refresh token.
    const again = await token(
      client,
      new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, resource: "https://api.example.com/" }),
    );
    expect(again.status).toBe(200);
  });

  it("an invalid resource at the authorization endpoint is redirected as invalid_target", async () => {
    const client = await registerClient();
    const res = await op(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid", resource: "nope", state: "s" })}`,
    );
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location")!).searchParams.get("error")).toBe("invalid_target");
  });
});
