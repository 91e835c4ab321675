import { env } from "cloudflare:workers";
import { Validator } from "@cfworker/json-schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import opManagement from "../../packages/op-management/src/index";
import { admin, completeFlow, decodeJwt, ISSUER, newResource, op, registerClient } from "./helpers";

/**
 * The admin API against its own OpenAPI 3.1 document (/admin/openapi.json): every operation,
 * its successes and its errors, each response's status, media type, headers and body validated
 * with @cfworker/json-schema against what the served document declares for it. A response that
 * drifts from the document, or an operation or declared status no test exercised, fails.
 */

type Json = Record<string, any>;
let doc: Json;
const seen = new Set<string>();

beforeAll(async () => {
  const res = await op("/admin/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = await res.json();
});

/** Calls `method template` (with `{param}`s filled from `params`) and checks the response against the document. */
async function call(
  method: string,
  template: string,
  init: { params?: Record<string, string>; body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ res: Response; body: any }> {
  const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(init.params?.[name] ?? ""));
  const res = await admin(path, { method: method.toUpperCase(), body: init.body, token: init.token, headers: init.headers });
  const operation = doc.paths?.[template]?.[method];
  expect(operation, `${method} ${template} is not in the document`).toBeDefined();
  expect(res.status, `${method} ${template} answered ${res.status}: ${await res.clone().text()}`).toBeLessThan(500);
  const declared = operation.responses[String(res.status)] ?? (res.status >= 400 ? operation.responses.default : undefined);
  expect(declared, `${method} ${template}: status ${res.status} is not declared`).toBeDefined();
  seen.add(`${method} ${template} ${operation.responses[String(res.status)] ? res.status : "default"}`);
  for (const name of Object.keys(declared.headers ?? {})) expect(res.headers.get(name), `${method} ${template} ${res.status}: header ${name}`).toBeTruthy();
  const text = await res.text();
  if (!declared.content) {
    expect(text, `${method} ${template} ${res.status} declares no body`).toBe("");
    return { res, body: undefined };
  }
  const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  expect(Object.keys(declared.content), `${method} ${template} ${res.status}: media type`).toContain(mediaType);
  const body = JSON.parse(text);
  const schema = { ...structuredClone(declared.content[mediaType].schema), components: structuredClone(doc.components) };
  const result = new Validator(schema, "2020-12", false).validate(body);
  expect(result.errors, `${method} ${template} ${res.status}: ${text}`).toEqual([]);
  expect(res.headers.get("cache-control")).toBe("no-store");
  return { res, body };
}

afterAll(() => {
  // Every declared status of every operation was exercised (`default` is the pipeline's, exercised where it can be).
  for (const [template, operations] of Object.entries<Json>(doc.paths)) {
    for (const [method, operation] of Object.entries<Json>(operations)) {
      for (const status of Object.keys(operation.responses)) {
        if (status === "default") continue;
        expect(seen.has(`${method} ${template} ${status}`), `${method} ${template} ${status} was never exercised`).toBe(true);
      }
    }
  }
});

describe("the document", () => {
  it("is OpenAPI 3.1 with the admin token as bearer security on every operation, and the issuer's /admin as server", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: `${ISSUER}/admin` }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: "http", scheme: "bearer" });
    const operations = Object.values<Json>(doc.paths).flatMap((ops) => Object.values<Json>(ops));
    expect(operations.length).toBe(14);
    for (const operation of operations) {
      expect(operation.security).toEqual([{ adminToken: [] }]);
      expect(operation.operationId).toEqual(expect.any(String));
      expect(operation.responses.default.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Error" });
    }
  });

  it("is public, but only where the admin API exists (ADMIN_TOKEN set)", async () => {
    expect((await admin("/openapi.json", { token: null })).status).toBe(200);
    const withoutToken = { ...env, ADMIN_TOKEN: undefined } as never;
    const res = await opManagement.fetch(new Request(`${ISSUER}/admin/openapi.json`), withoutToken);
    expect(res.status).toBe(404);
    const rotate = await opManagement.fetch(new Request(`${ISSUER}/admin/keys/rotate`, { method: "POST" }), withoutToken);
    expect(rotate.status).toBe(404);
    expect(await rotate.json()).toMatchObject({ error: "not_found" });
  });
});

describe("authentication", () => {
  it.each<[string, string]>([
    ["post", "/keys/rotate"],
    ["get", "/keys"],
    ["get", "/resources"],
    ["post", "/resources"],
    ["get", "/resources/{id}"],
    ["put", "/resources/{id}"],
    ["delete", "/resources/{id}"],
    ["post", "/clients/{client_id}/secret"],
    ["get", "/clients/{client_id}/grants"],
    ["put", "/clients/{client_id}/grants"],
    ["delete", "/clients/{client_id}/grants"],
    ["get", "/users/{sub}/sessions"],
    ["delete", "/users/{sub}/sessions"],
    ["get", "/logouts/{sid}"],
  ])("%s %s: 401 with a Bearer challenge, realm <issuer>/admin, before the body is looked at", async (method, template) => {
    const params = { id: "test-api", client_id: "someone", sub: "0".repeat(64), sid: "some-sid" };
    const missing = await call(method, template, { params, token: null, body: method === "post" || method === "put" ? "{not json" : undefined });
    expect(missing.res.status).toBe(401);
    expect(missing.body).toMatchObject({ error: "invalid_token" });
    // RFC 6750 §3.1: no credentials, no error code in the challenge.
    expect(missing.res.headers.get("www-authenticate")).toBe(`Bearer realm="${ISSUER}/admin"`);
    const wrong = await call(method, template, { params, token: "not-the-admin-token" });
    expect(wrong.res.status).toBe(401);
    expect(wrong.res.headers.get("www-authenticate")).toMatch(new RegExp(`^Bearer realm="${ISSUER}/admin", error="invalid_token"`));
  });

  it("compares the whole token: a prefix or the token with more is refused", async () => {
    const token = "test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz";
    expect((await call("get", "/keys", { token: token.slice(0, -1) })).res.status).toBe(401);
    expect((await call("get", "/keys", { token: `${token}x` })).res.status).toBe(401);
  });
});

describe("keys", () => {
  it("lists the published keys and rotates them", async () => {
    const before = await call("get", "/keys");
    expect(before.body.keys.length).toBeGreaterThan(0);
    const rotated = await call("post", "/keys/rotate");
    expect(rotated.body.retired.length).toBeGreaterThan(0);
    const after = await call("get", "/keys");
    expect(after.body.keys.map((k: Json) => k.kid)).toEqual(expect.arrayContaining(rotated.body.kids));
  });
});

describe("client secrets", () => {
  it("rotates a confidential client's secret; refuses a public one, and an unknown or malformed client_id", async () => {
    const client = await registerClient();
    const rotated = await call("post", "/clients/{client_id}/secret", { params: { client_id: client.client_id } });
    expect(rotated.body).toMatchObject({ client_id: client.client_id, client_secret: expect.any(String) });
    const pub = await registerClient({ token_endpoint_auth_method: "none" });
    expect((await call("post", "/clients/{client_id}/secret", { params: { client_id: pub.client_id } })).body).toMatchObject({ error: "invalid_request" });
    expect((await call("post", "/clients/{client_id}/secret", { params: { client_id: "unknown" } })).res.status).toBe(404);
  });
});

describe("resources", () => {
  it("lists the configured resources, read-only, and creates, reads, replaces and deletes the admin's", async () => {
    const listed = await call("get", "/resources");
    expect(listed.body.resources).toEqual(expect.arrayContaining([expect.objectContaining({ id: "test-api", source: "configuration" })]));

    const resource = newResource({ default_scopes: ["read"], access_token_lifetime: 600 });
    const created = await call("post", "/resources", { body: resource });
    expect(created.res.status).toBe(201);
    expect(created.res.headers.get("location")).toBe(`${ISSUER}/admin/resources/${resource.id}`);
    expect(created.body).toEqual({
      ...resource,
      access_token_format: "jwt",
      client_ids: [],
      downstream: [],
      source: "admin",
    });
    expect((await call("get", "/resources/{id}", { params: { id: resource.id } })).body).toEqual(created.body);
    expect((await call("get", "/resources")).body.resources).toEqual(expect.arrayContaining([created.body]));

    const replaced = await call("put", "/resources/{id}", {
      params: { id: resource.id },
      body: { ...resource, name: "Renamed", identifiers: [...resource.identifiers, `https://${resource.id}.example.net/`] },
    });
    expect(replaced.body).toMatchObject({ name: "Renamed", identifiers: [resource.identifiers[0], `https://${resource.id}.example.net/`] });

    expect((await call("delete", "/resources/{id}", { params: { id: resource.id } })).res.status).toBe(204);
    expect((await call("get", "/resources/{id}", { params: { id: resource.id } })).res.status).toBe(404);
    expect((await call("delete", "/resources/{id}", { params: { id: resource.id } })).res.status).toBe(404);
    expect((await call("put", "/resources/{id}", { params: { id: resource.id }, body: resource })).res.status).toBe(404);
  });

  it("refuses to change or delete a configured resource, or to take its id or identifiers (409)", async () => {
    const configured = (await call("get", "/resources/{id}", { params: { id: "test-api" } })).body;
    const { source: _source, ...record } = configured;
    for (const attempt of [
      call("put", "/resources/{id}", { params: { id: "test-api" }, body: { ...record, name: "Mine now" } }),
      call("delete", "/resources/{id}", { params: { id: "test-api" } }),
      call("post", "/resources", { body: { ...record } }),
      call("post", "/resources", { body: newResource({ identifiers: ["https://api.example.com/"] }) }),
    ]) {
      const { res, body } = await attempt;
      expect(res.status).toBe(409);
      expect(body).toMatchObject({ error: "invalid_request" });
    }
  });

  it("keeps ids and identifiers unique among the admin's resources (409)", async () => {
    const first = newResource();
    await call("post", "/resources", { body: first });
    expect((await call("post", "/resources", { body: { ...newResource(), id: first.id } })).res.status).toBe(409);
    const second = newResource({ identifiers: first.identifiers });
    const taken = await call("post", "/resources", { body: second });
    expect(taken.res.status).toBe(409);
    expect(taken.body.error_description).toContain(first.identifiers[0]);
    // Nor by a replace.
    const third = newResource();
    await call("post", "/resources", { body: third });
    expect((await call("put", "/resources/{id}", { params: { id: third.id }, body: { ...third, identifiers: first.identifiers } })).res.status).toBe(409);
  });

  it.each<[string, unknown, RegExp]>([
    ["a body that is not JSON", "{nope", /malformed json/i],
    ["an array", [], /expected object/i],
    ["no id", { ...newResource(), id: undefined }, /^id: /],
    ["an id with a slash", newResource({ id: "a/b" }), /^id: a resource id is/],
    ["an unknown member", { ...newResource(), scope: "read" }, /unrecognized key/i],
    ["a relative identifier", newResource({ identifiers: ["/api"] }), /^identifiers\.0: a resource identifier is an absolute URI/],
    ["an identifier with a fragment", newResource({ identifiers: ["https://x.example.com/#f"] }), /^identifiers\.0: /],
    ["no identifier", newResource({ identifiers: [] }), /^identifiers: /],
    ["a scope with a space", newResource({ scopes: [{ name: "a b", description: "x" }] }), /^scopes\.0\.name: /],
    ["the OP's own scope", newResource({ scopes: [{ name: "openid", description: "x" }] }), /OP's own scopes/],
    ["a default scope it does not define", newResource({ default_scopes: ["admin"] }), /^default_scopes: admin is not one of/],
    [
      "the same scope twice",
      newResource({
        scopes: [
          { name: "r", description: "x" },
          { name: "r", description: "y" },
        ],
      }),
      /defined twice/,
    ],
    ["a lifetime beyond ACCESS_TOKEN_TTL", newResource({ access_token_lifetime: 7200 }), /^access_token_lifetime: at most ACCESS_TOKEN_TTL/],
    ["a format other than jwt", newResource({ access_token_format: "opaque" }), /^access_token_format: /],
    ["the userinfo audience", newResource({ identifiers: [`${ISSUER}/userinfo`] }), /userinfo audience/],
    ["an unknown downstream resource", newResource({ downstream: ["no-such-api"] }), /^downstream: no-such-api is not a registered resource/],
  ])("refuses %s with invalid_request and says where", async (_name, body, description) => {
    const { res, body: error } = await call("post", "/resources", { body });
    expect(res.status).toBe(400);
    expect(error.error).toBe("invalid_request");
    expect(error.error_description).toMatch(description);
  });

  it("refuses a body of another media type (415) or too large (413), and a replace under another id", async () => {
    const wrongType = await call("post", "/resources", { body: JSON.stringify(newResource()), headers: { "content-type": "text/plain" } });
    expect(wrongType.res.status).toBe(415);
    expect(wrongType.body).toMatchObject({ error: "invalid_request" });
    const huge = await call("post", "/resources", { body: { ...newResource(), name: "x".repeat(300 * 1024) } });
    expect(huge.res.status).toBe(413);
    const resource = newResource();
    await call("post", "/resources", { body: resource });
    const moved = await call("put", "/resources/{id}", { params: { id: resource.id }, body: { ...resource, id: "elsewhere" } });
    expect(moved.res.status).toBe(400);
    expect(moved.body.error_description).toMatch(/^id: /);
    for (const method of ["get", "put", "delete"]) {
      const bad = await call(method, "/resources/{id}", { params: { id: "-dash-first" }, body: method === "put" ? resource : undefined });
      expect(bad.res.status, method).toBe(400);
      expect(bad.body.error_description).toMatch(/^id: a resource id is/);
    }
  });
});

describe("client grants", () => {
  it("reads the default, replaces and resets a client's grants", async () => {
    const client = await registerClient({ scope: "read write", token_exchange_audiences: ["https://api.example.com/"] });
    // The client's own metadata asks; under CLIENT_GRANTS_DEFAULT=none it is granted nothing.
    const initial = await call("get", "/clients/{client_id}/grants", { params: { client_id: client.client_id } });
    expect(initial.body).toEqual({
      client_id: client.client_id,
      source: "default",
      grants: { client_credentials: [], token_exchange: [], jwt_bearer: "self" },
    });
    const grants = { client_credentials: [{ resource: "test-api", scopes: ["read"] }], token_exchange: ["test-downstream"] };
    const replaced = await call("put", "/clients/{client_id}/grants", { params: { client_id: client.client_id }, body: grants });
    expect(replaced.body).toEqual({ client_id: client.client_id, source: "operator", grants: { ...grants, jwt_bearer: "self" } });
    expect((await call("get", "/clients/{client_id}/grants", { params: { client_id: client.client_id } })).body).toEqual(replaced.body);
    const reset = await call("delete", "/clients/{client_id}/grants", { params: { client_id: client.client_id } });
    expect(reset.body).toEqual(initial.body);
  });

  it.each<[string, unknown, RegExp]>([
    ["an unknown member", { client_credentials: [], scope: "admin" }, /unrecognized key/i],
    [
      "an unregistered resource",
      { client_credentials: [{ resource: "bank", scopes: ["payments:write"] }] },
      /^client_credentials\.0\.resource: bank is not a registered/,
    ],
    [
      "a scope the resource does not define",
      { client_credentials: [{ resource: "test-api", scopes: ["admin"] }] },
      /^client_credentials\.0\.scopes: admin is not a scope of test-api/,
    ],
    ["an unregistered exchange target", { token_exchange: ["https://bank.example/api"] }, /^token_exchange\.0: /],
    ["an unknown jwt_bearer", { jwt_bearer: "everyone" }, /^jwt_bearer: /],
    ["the same resource twice", { client_credentials: [{ resource: "test-api" }, { resource: "test-api" }] }, /listed twice/],
    ["a string", "read write", /malformed json|expected object/i],
  ])("refuses %s with invalid_request", async (_name, body, description) => {
    const client = await registerClient();
    const { res, body: error } = await call("put", "/clients/{client_id}/grants", { params: { client_id: client.client_id }, body });
    expect(res.status).toBe(400);
    expect(error).toMatchObject({ error: "invalid_request" });
    expect(error.error_description).toMatch(description);
  });

  it("answers 404 for an unknown client and 400 for a client_id no client can have", async () => {
    const tooLong = "x".repeat(201);
    for (const method of ["get", "put", "delete"]) {
      const body = method === "put" ? {} : undefined;
      expect((await call(method, "/clients/{client_id}/grants", { params: { client_id: "unknown" }, body })).res.status, method).toBe(404);
      const bad = await call(method, "/clients/{client_id}/grants", { params: { client_id: tooLong }, body });
      expect(bad.res.status, method).toBe(400);
      expect(bad.body.error_description).toMatch(/^client_id: /);
    }
    expect((await call("post", "/clients/{client_id}/secret", { params: { client_id: tooLong } })).res.status).toBe(400);
  });
});

describe("sessions and logouts", () => {
  it("lists a user's sessions, signs the user out everywhere, and shows each logout's deliveries", async () => {
    const { tokens, client } = await completeFlow();
    const { sub, sid } = decodeJwt(tokens.id_token) as { sub: string; sid: string };
    const listed = await call("get", "/users/{sub}/sessions", { params: { sub } });
    expect(listed.body.sub).toBe(sub);
    expect(listed.body.sessions).toContainEqual(expect.objectContaining({ sid, clients: [client.client_id] }));
    const ended = await call("delete", "/users/{sub}/sessions", { params: { sub } });
    expect(ended.body.ended).toContainEqual(expect.objectContaining({ sid, clients: [client.client_id] }));
    expect((await call("get", "/users/{sub}/sessions", { params: { sub } })).body.sessions).toEqual([]);
    const logout = await call("get", "/logouts/{sid}", { params: { sid } });
    expect(logout.body).toMatchObject({ sub, sid, reason: "admin", clients: [client.client_id], deliveries: [] });
  });

  it("refuses a malformed account id or sid (400) and an unknown one (404)", async () => {
    for (const method of ["get", "delete"]) {
      expect((await call(method, "/users/{sub}/sessions", { params: { sub: "not-an-account" } })).body).toMatchObject({ error: "invalid_request" });
      expect((await call(method, "/users/{sub}/sessions", { params: { sub: "0".repeat(64) } })).body).toMatchObject({ error: "not_found" });
    }
    expect((await call("get", "/logouts/{sid}", { params: { sid: "not a sid!" } })).body).toMatchObject({ error: "invalid_request" });
    expect((await call("get", "/logouts/{sid}", { params: { sid: "never-ended" } })).body).toMatchObject({ error: "not_found" });
  });
});
