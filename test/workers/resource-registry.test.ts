import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type ResourceServer, ResourceServerSchema } from "@op/core";
import { clientObject, resourceRegistry, resourceRegistryObject } from "@op/storage";
import { beforeAll, describe, expect, it } from "vitest";
import opToken from "../../packages/op-token/src/index";
import {
  admin,
  basicAuth,
  completeFlow,
  decodeJwt,
  grantClient,
  ISSUER,
  machineClient,
  newResource,
  op,
  type RegisteredClient,
  registerClient,
  registerResource,
} from "./helpers";

/**
 * Issue 11 point 1 and issue 18 point 3: operators, not clients, decide what a client may get,
 * and resource servers registered with the operator introspect and exchange the tokens of their
 * audience. Each test here failed before the registry existed (docs/security.md).
 */

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const form = (client: RegisteredClient, body: Record<string, string> | URLSearchParams): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
  body: new URLSearchParams(body),
});
const token = (client: RegisteredClient, body: Record<string, string> | URLSearchParams) => op("/token", form(client, body));
const introspect = (client: RegisteredClient, t: string) => op("/introspect", form(client, { token: t }));

describe("a client cannot grant itself scopes or audiences", () => {
  let bank: { id: string; identifiers: string[] };
  beforeAll(async () => {
    bank = await registerResource(
      newResource({
        identifiers: [`https://bank-${crypto.randomUUID().slice(0, 8)}.example/api`],
        scopes: [
          { name: "payments:read", description: "See your payments" },
          { name: "payments:write", description: "Make payments" },
        ],
      }),
    );
  });

  it("the reproduction: scope=payments:write admin and resource=<the bank's API> in its own metadata get it nothing", async () => {
    const attacker = await registerClient({ grant_types: ["client_credentials"], redirect_uris: undefined, scope: "payments:write admin" });
    // Before: 200 with aud the bank's API and scope "payments:write admin". Now the operator granted nothing.
    const res = await token(attacker, { grant_type: "client_credentials", scope: "payments:write admin", resource: bank.identifiers[0]! });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_target" });
    const unnamed = await token(attacker, { grant_type: "client_credentials", scope: "payments:write admin" });
    expect(await unnamed.json()).toMatchObject({ error: "unauthorized_client" });
    // Nor for an API nobody registered.
    const made_up = await token(attacker, { grant_type: "client_credentials", scope: "admin", resource: "https://bank.example/api" });
    expect(await made_up.json()).toMatchObject({
      error: "invalid_target",
      error_description: "https://bank.example/api is not a resource registered with this OP",
    });
  });

  it("an RFC 7592 update widening its scope and audiences changes nothing the operator granted", async () => {
    const client = await machineClient(
      { client_credentials: [{ resource: bank.id, scopes: ["payments:read"] }] },
      { grant_types: ["client_credentials", TOKEN_EXCHANGE] },
    );
    const before = await (await admin(`/clients/${client.client_id}/grants`)).json();
    const update = await op(`/register/${client.client_id}`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${client.registration_access_token}` },
      body: JSON.stringify({
        client_id: client.client_id,
        grant_types: ["client_credentials", TOKEN_EXCHANGE],
        redirect_uris: [],
        scope: "payments:read payments:write admin",
        token_exchange_audiences: [...bank.identifiers, "https://api.example.com/"],
        // Members the client has no say over are dropped (RFC 7591 §2), never stored as grants.
        grants: { client_credentials: [{ resource: bank.id, scopes: ["payments:write"] }] },
        operatorGrants: { client_credentials: [{ resource: bank.id, scopes: ["payments:write"] }] },
      }),
    });
    expect(update.status, await update.clone().text()).toBe(200);
    const information = await update.json<Record<string, unknown>>();
    expect(information.grants).toBeUndefined();
    expect(information.operatorGrants).toBeUndefined();
    expect(await (await admin(`/clients/${client.client_id}/grants`)).json()).toEqual(before);
    const wider = await token(client, { grant_type: "client_credentials", scope: "payments:write" });
    expect(await wider.json()).toMatchObject({ error: "invalid_scope" });
    const own = await token(client, { grant_type: "client_credentials", scope: "payments:read" });
    const { access_token } = await own.json<{ access_token: string }>();
    const exchanged = await token(client, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: access_token,
      subject_token_type: AT_TYPE,
      audience: "https://api.example.com/",
    });
    expect(await exchanged.json()).toMatchObject({ error: "invalid_target" });
  });

  it("the operator's grants live beside the metadata: kept by updates and secret rotation, never in KV or a registration response", async () => {
    const client = await machineClient({ client_credentials: [{ resource: bank.id, scopes: ["payments:read"] }] });
    const rotated = await admin(`/clients/${client.client_id}/secret`, { method: "POST" });
    expect(rotated.status).toBe(200);
    const read = await op(`/register/${client.client_id}`, { headers: { authorization: `Bearer ${client.registration_access_token}` } });
    const information = await read.json<Record<string, unknown>>();
    expect(information.operatorGrants).toBeUndefined();
    expect(information.grants).toBeUndefined();
    const cached = await env.CLIENT_CACHE.get<Record<string, unknown>>(`client:${client.client_id}`, "json");
    expect(cached).not.toBeNull();
    expect(JSON.stringify(cached)).not.toContain("payments:read");
    await runInDurableObject(clientObject(env, client.client_id), (_instance, state) => {
      const stored = state.storage.kv.get<{ client: Record<string, unknown>; grants: unknown }>("client")!;
      expect(stored.grants).toEqual({ client_credentials: [{ resource: bank.id, scopes: ["payments:read"] }], token_exchange: [], jwt_bearer: "self" });
      expect(stored.client.operatorGrants).toBeUndefined();
    });
  });

  it("a deleted resource grants nothing any more, and tokens name only registered resources", async () => {
    const api = await registerResource(newResource({ default_scopes: ["read"] }));
    const client = await machineClient({ client_credentials: [{ resource: api.id, scopes: ["read"] }] });
    expect((await token(client, { grant_type: "client_credentials" })).status).toBe(200);
    expect((await admin(`/resources/${api.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await (await token(client, { grant_type: "client_credentials" })).json()).toMatchObject({ error: "unauthorized_client" });
    expect(await (await token(client, { grant_type: "client_credentials", resource: api.identifiers[0]! })).json()).toMatchObject({ error: "invalid_target" });
  });
});

describe("resource indicators name registered resources (RFC 8707 §2)", () => {
  it("an unregistered resource is invalid_target at every grant of the token endpoint", async () => {
    const { client, tokens } = await completeFlow(
      { grant_types: ["authorization_code", "refresh_token", TOKEN_EXCHANGE] },
      { params: { scope: "openid offline_access", prompt: "consent" } },
    );
    const unregistered = "https://unregistered.example.com/";
    for (const body of <Record<string, string>[]>[
      { grant_type: "refresh_token", refresh_token: tokens.refresh_token, resource: unregistered },
      { grant_type: TOKEN_EXCHANGE, subject_token: tokens.access_token, subject_token_type: AT_TYPE, resource: unregistered },
      { grant_type: "authorization_code", code: "x".repeat(43), redirect_uri: "https://rp.example.com/cb", resource: unregistered },
    ]) {
      const res = await token(client, body);
      expect(res.status, body.grant_type).toBe(400);
      expect(await res.json(), body.grant_type).toMatchObject({ error: "invalid_target" });
    }
    // The refused refresh did not burn the refresh token.
    expect((await token(client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token })).status).toBe(200);
  });

  it("a user's grant yields tokens only for resources still registered", async () => {
    const api = await registerResource(newResource());
    const { client, tokens } = await completeFlow({}, { params: { scope: "openid offline_access", prompt: "consent", resource: api.identifiers[0]! } });
    expect(decodeJwt(tokens.access_token).aud).toEqual([api.identifiers[0], `${ISSUER}/userinfo`]);
    expect((await admin(`/resources/${api.id}`, { method: "DELETE" })).status).toBe(204);
    const refreshed = await token(client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(refreshed.status).toBe(200);
    expect(decodeJwt((await refreshed.json<{ access_token: string }>()).access_token).aud).toBe(`${ISSUER}/userinfo`);
  });

  it("a token lives as long as its resource asks, never longer than ACCESS_TOKEN_TTL", async () => {
    const short = await registerResource(newResource({ default_scopes: ["read"], access_token_lifetime: 300 }));
    const client = await machineClient({
      client_credentials: [
        { resource: short.id, scopes: ["read"] },
        { resource: "test-api", scopes: ["read"] },
      ],
    });
    const res = await token(
      client,
      new URLSearchParams([
        ["grant_type", "client_credentials"],
        ["resource", short.identifiers[0]!],
        ["resource", "https://api.example.com/"],
        ["scope", "read"],
      ]),
    );
    const body = await res.json<{ access_token: string; expires_in: number }>();
    expect(body.expires_in).toBe(300);
    const claims = decodeJwt(body.access_token);
    expect(claims.exp - claims.iat).toBe(300);
    expect(claims.aud).toEqual([short.identifiers[0], "https://api.example.com/"].sort());
  });

  it("a scope two audiences define must be granted for both: a grant for one API is not one for another", async () => {
    const a = await registerResource(newResource());
    const b = await registerResource(newResource());
    const client = await machineClient({
      client_credentials: [
        { resource: a.id, scopes: ["read", "write"] },
        { resource: b.id, scopes: ["read"] },
      ],
    });
    const both = new URLSearchParams([
      ["grant_type", "client_credentials"],
      ["resource", a.identifiers[0]!],
      ["resource", b.identifiers[0]!],
    ]);
    both.set("scope", "read write");
    const refused = await token(client, both);
    expect(await refused.json()).toMatchObject({ error: "invalid_scope", error_description: `scope write is not granted for ${b.identifiers[0]}` });
    both.set("scope", "read");
    expect((await (await token(client, both)).json<{ scope: string }>()).scope).toBe("read");
  });
});

describe("resource servers are first-class (RFC 7662 §2.1, RFC 8693)", () => {
  let gateway: RegisteredClient;
  let user: Awaited<ReturnType<typeof completeFlow>>;
  let ordersApi: { id: string; identifiers: string[] };
  beforeAll(async () => {
    // An API gateway's client, registered as the client of the orders API.
    gateway = await registerClient({ grant_types: [TOKEN_EXCHANGE], redirect_uris: undefined });
    ordersApi = await registerResource(newResource({ client_ids: [gateway.client_id], downstream: ["test-downstream"] }));
    user = await completeFlow({ grant_types: ["authorization_code", TOKEN_EXCHANGE] }, { params: { scope: "openid" } });
    await grantClient(user.client.client_id, { token_exchange: [ordersApi.id, "test-other"] });
  });
  const exchangeFor = async (audience: string) => {
    const res = await token(user.client, { grant_type: TOKEN_EXCHANGE, subject_token: user.tokens.access_token, subject_token_type: AT_TYPE, audience });
    expect(res.status, await res.clone().text()).toBe(200);
    return (await res.json<{ access_token: string }>()).access_token;
  };

  it("introspects the tokens issued for its API, and learns nothing of another API's", async () => {
    const forOrders = await exchangeFor(ordersApi.identifiers[0]!);
    const forOther = await exchangeFor("https://other.example.com/");
    // Before: active:false for every client but the one the token was issued to.
    expect(await (await introspect(gateway, forOrders)).json()).toMatchObject({
      active: true,
      client_id: user.client.client_id,
      aud: [ordersApi.identifiers[0], `${ISSUER}/userinfo`],
      scope: "openid",
    });
    expect(await (await introspect(gateway, forOther)).json()).toEqual({ active: false });
    expect(await (await introspect(gateway, user.tokens.access_token)).json()).toEqual({ active: false });
    // A client that serves no registered API sees nothing of either.
    const stranger = await registerClient();
    expect(await (await introspect(stranger, forOrders)).json()).toEqual({ active: false });
    // Revocation stays the token's own client's (RFC 7009 §2.1): the gateway's attempt changes nothing.
    await op("/revoke", form(gateway, { token: forOrders }));
    expect(await (await introspect(gateway, forOrders)).json()).toMatchObject({ active: true });
  });

  it("exchanges the tokens of its API for its downstream APIs", async () => {
    const forOrders = await exchangeFor(ordersApi.identifiers[0]!);
    const res = await token(gateway, {
      grant_type: TOKEN_EXCHANGE,
      subject_token: forOrders,
      subject_token_type: AT_TYPE,
      resource: "https://downstream.example.com/",
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(decodeJwt((await res.json<{ access_token: string }>()).access_token)).toMatchObject({ client_id: gateway.client_id, sub: expect.any(String) });
  });
});

describe("the registry's storage", () => {
  it("keeps identifiers unique under concurrent writes: of 10 creates claiming one identifier, one succeeds", async () => {
    const identifier = `https://race-${crypto.randomUUID().slice(0, 8)}.example.com/`;
    const registry = resourceRegistryObject(env);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => registry.create(ResourceServerSchema.parse(newResource({ identifiers: [identifier] })))),
    );
    expect(results.filter((r) => r.status === "ok")).toHaveLength(1);
    expect(results.filter((r) => r.status === "identifier_taken")).toHaveLength(9);
  });

  it("an isolate's copy is reused for RESOURCE_CACHE_TTL seconds and no longer", async () => {
    const cached = { ...env, RESOURCE_CACHE_TTL: "10" } as typeof env;
    const t0 = Date.now() + 3_600_000; // past any copy another test left in this isolate
    const before = await resourceRegistry(cached, t0);
    const added = ResourceServerSchema.parse(newResource());
    expect((await resourceRegistryObject(env).create(added)).status).toBe("ok");
    const ids = (registry: ResourceServer[]) => registry.map((r) => r.id);
    expect(ids(await resourceRegistry(cached, t0 + 9_999))).toEqual(ids(before));
    expect(ids(await resourceRegistry(cached, t0 + 10_000))).toContain(added.id);
  });
});

describe("the default for clients without operator grants (CLIENT_GRANTS_DEFAULT)", () => {
  const run = (client: RegisteredClient, body: Record<string, string>, vars: Record<string, string>) =>
    opToken.fetch(new Request(`${ISSUER}/token`, form(client, body)), { ...env, ...vars } as never);

  it("is none in production: a client's requests grant nothing", async () => {
    const client = await registerClient({ grant_types: ["client_credentials"], redirect_uris: undefined, scope: "read" });
    const production = { ENVIRONMENT: "production", CLIENT_GRANTS_DEFAULT: undefined as unknown as string };
    const res = await run(client, { grant_type: "client_credentials", resource: "https://api.example.com/" }, production);
    expect(await res.json()).toMatchObject({ error: "invalid_target" });
  });

  it("requested (development's default) grants what the metadata asks, within the registered resources", async () => {
    const client = await registerClient({ grant_types: ["client_credentials"], redirect_uris: undefined, scope: "write admin" });
    const dev = { CLIENT_GRANTS_DEFAULT: "requested" };
    const res = await run(client, { grant_type: "client_credentials", resource: "https://api.example.com/" }, dev);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ scope: "write" });
    // admin is no registered resource's scope, and the operator's grants, once set, replace the default.
    expect(await (await run(client, { grant_type: "client_credentials", resource: "https://api.example.com/", scope: "admin" }, dev)).json()).toMatchObject({
      error: "invalid_scope",
    });
    await grantClient(client.client_id, { client_credentials: [{ resource: "test-other", scopes: ["read"] }] });
    expect(await (await run(client, { grant_type: "client_credentials", resource: "https://api.example.com/" }, dev)).json()).toMatchObject({
      error: "invalid_target",
    });
  });

  it("may be a JSON grant every such client gets", async () => {
    const client = await registerClient({ grant_types: ["client_credentials"], redirect_uris: undefined });
    const everyone = { CLIENT_GRANTS_DEFAULT: JSON.stringify({ client_credentials: [{ resource: "test-other", scopes: ["read"] }] }) };
    const res = await run(client, { grant_type: "client_credentials" }, everyone);
    expect(decodeJwt((await res.json<{ access_token: string }>()).access_token)).toMatchObject({ aud: "https://other.example.com/", scope: "read" });
  });
});
