import { env, runInDurableObject } from "cloudflare:test";
import { clearIsolateCaches } from "@op/core";
import { clientObject } from "@op/storage";
import { describe, expect, it } from "vitest";
import { registerClient as registerEndpoint } from "../../packages/op-management/src/registration";
import { basicAuth, ISSUER, op, registerClient, requestObjectKey } from "./helpers";

const post = (body: unknown, headers: Record<string, string> = {}) =>
  op("/register", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("dynamic client registration (RFC 7591)", () => {
  it("registers a client with defaults, a 256-bit secret and management credentials", async () => {
    const c = await registerClient({ client_name: "RP", "client_name#fr": "RP fr", unknown_member: 1 });
    expect(c).toMatchObject({
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
      client_secret_expires_at: 0,
      registration_client_uri: `${ISSUER}/register/${c.client_id}`,
      "client_name#fr": "RP fr",
    });
    expect(c).not.toHaveProperty("unknown_member");
    expect(atob(`${c.client_secret!.replace(/-/g, "+").replace(/_/g, "/")}=`).length).toBeGreaterThanOrEqual(32);
  });

  it("stores only hashes of the secret and the registration access token", async () => {
    const c = await registerClient();
    const stored = await runInDurableObject(clientObject(env, c.client_id), (_i, state) => JSON.stringify(state.storage.kv.get("client")));
    expect(stored).not.toContain(c.client_secret);
    expect(stored).not.toContain(c.registration_access_token);
  });

  it.each([
    ["no redirect_uris", {}, "invalid_redirect_uri"],
    ["a fragment", { redirect_uris: ["https://rp.example.com/cb#x"] }, "invalid_redirect_uri"],
    ["not a URI", { redirect_uris: ["nope"] }, "invalid_redirect_uri"],
    ["http for a web client off loopback", { redirect_uris: ["http://rp.example.com/cb"] }, "invalid_redirect_uri"],
    ["an unsupported response_type", { redirect_uris: ["https://rp.example.com/cb"], response_types: ["token"] }, "invalid_client_metadata"],
    ["an unsupported auth method", { redirect_uris: ["https://rp.example.com/cb"], token_endpoint_auth_method: "private_key_jwt" }, "invalid_client_metadata"],
    [
      "code without authorization_code",
      { redirect_uris: ["https://rp.example.com/cb"], response_types: ["code"], grant_types: ["client_credentials"] },
      "invalid_client_metadata",
    ],
    ["refresh_token alone", { redirect_uris: ["https://rp.example.com/cb"], grant_types: ["refresh_token"] }, "invalid_client_metadata"],
    ["no redirect_uris for the code flow", { grant_types: ["authorization_code"] }, "invalid_redirect_uri"],
    ["a bad logo_uri", { redirect_uris: ["https://rp.example.com/cb"], logo_uri: "javascript:alert(1)" }, "invalid_client_metadata"],
    ["a bad post_logout_redirect_uri", { redirect_uris: ["https://rp.example.com/cb"], post_logout_redirect_uris: ["x"] }, "invalid_client_metadata"],
  ])("refuses %s", async (_n, body, error) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error, error_description: expect.any(String) });
  });

  it("refuses a body that is not JSON", async () => {
    expect(await (await post("{")).json()).toMatchObject({ error: "invalid_client_metadata" });
    expect(await (await post("[]")).json()).toMatchObject({ error: "invalid_client_metadata" });
    const wrongType = await op("/register", { method: "POST", headers: { "content-type": "text/plain" }, body: "{}" });
    expect(wrongType.status).toBe(400);
  });

  it("native clients may use loopback http and private-use schemes", async () => {
    const c = await registerClient({ application_type: "native", redirect_uris: ["http://127.0.0.1:4000/cb", "com.example.app:/cb"] });
    expect(c.redirect_uris).toHaveLength(2);
  });

  it("requires the initial access token when one is configured", async () => {
    const configured = { ...env, INITIAL_ACCESS_TOKEN: "initial-access-token-123456" };
    const req = (auth?: string) =>
      new Request(`${ISSUER}/register`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"] }),
      });
    await expect(registerEndpoint(req(), configured as never)).rejects.toMatchObject({ error: "invalid_token", status: 401 });
    await expect(registerEndpoint(req("Bearer wrong"), configured as never)).rejects.toMatchObject({ error: "invalid_token" });
    expect((await registerEndpoint(req("Bearer initial-access-token-123456"), configured as never)).status).toBe(201);
    // In production without an initial access token, registration does not exist.
    await expect(registerEndpoint(req(), { ...env, ENVIRONMENT: "production" } as never)).rejects.toMatchObject({ error: "not_found" });
  });
});

describe("client management (RFC 7592)", () => {
  it("reads, updates and deletes with the registration access token", async () => {
    const c = await registerClient({ client_name: "before" });
    const auth = { authorization: `Bearer ${c.registration_access_token}` };
    const read = await op(c.registration_client_uri, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ client_id: c.client_id, client_name: "before" });

    const put = await op(c.registration_client_uri, {
      method: "PUT",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({
        client_id: c.client_id,
        redirect_uris: ["https://rp.example.com/new"],
        client_name: "after",
        grant_types: ["authorization_code"],
      }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ client_name: "after", redirect_uris: ["https://rp.example.com/new"] });
    // The authorization endpoint sees the update.
    const authz = await op(
      `/authorize?client_id=${c.client_id}&redirect_uri=${encodeURIComponent("https://rp.example.com/new")}&response_type=code&scope=openid`,
    );
    expect(authz.status).toBe(303);

    const del = await op(c.registration_client_uri, { method: "DELETE", headers: auth });
    expect(del.status).toBe(204);
    expect((await op(c.registration_client_uri, { headers: auth })).status).toBe(401);
    // Authentication reads the client's object (freshClient): the deleted client fails at once.
    const token = await op("/token", {
      method: "POST",
      headers: { authorization: basicAuth(c.client_id, c.client_secret!), "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials",
    });
    expect([token.status, ((await token.json()) as { error: string }).error]).toEqual([401, "invalid_client"]);
    // The authorization endpoint reads a copy (cachedClient), at most CACHED_CLIENT_MAX_STALENESS_S
    // behind; this isolate's copy is what is left once KV (consistent locally) has the deletion.
    const gone = () => op(`/authorize?client_id=${c.client_id}&response_type=code&scope=openid`);
    expect((await gone()).status).toBe(303);
    clearIsolateCaches();
    expect((await gone()).status).toBe(400);
  });

  it("issues no client_secret to a client that authenticates with keys, and keeps it secretless", async () => {
    const { publicJwk } = await requestObjectKey();
    const c = await registerClient({ token_endpoint_auth_method: "private_key_jwt", jwks: { keys: [publicJwk] } });
    expect(c.client_secret).toBeUndefined();
    const put = (token_endpoint_auth_method: string) =>
      op(c.registration_client_uri, {
        method: "PUT",
        headers: { authorization: `Bearer ${c.registration_access_token}`, "content-type": "application/json" },
        body: JSON.stringify({ client_id: c.client_id, redirect_uris: c.redirect_uris, jwks: { keys: [publicJwk] }, token_endpoint_auth_method }),
      });
    // No secret exists to authenticate with, so a secret method cannot be switched on.
    for (const method of ["client_secret_basic", "client_secret_post", "client_secret_jwt"]) {
      const res = await put(method);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
    }
    expect((await put("private_key_jwt")).status).toBe(200);
  });

  it("refuses a wrong token, another client's token, and a mismatched client_id", async () => {
    const a = await registerClient();
    const b = await registerClient();
    expect((await op(a.registration_client_uri, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await op(a.registration_client_uri, { headers: { authorization: `Bearer ${b.registration_access_token}` } })).status).toBe(401);
    const res = await op(a.registration_client_uri, {
      method: "PUT",
      headers: { authorization: `Bearer ${a.registration_access_token}`, "content-type": "application/json" },
      body: JSON.stringify({ client_id: b.client_id, redirect_uris: ["https://rp.example.com/cb"] }),
    });
    expect(res.status).toBe(400);
  });
});
