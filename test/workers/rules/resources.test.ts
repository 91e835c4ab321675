import {
  type ClientGrants,
  ClientGrantsSchema,
  ConfigSchema,
  NO_GRANTS,
  OAuthError,
  OP_SCOPES,
  type ResourceServer,
  ResourceServerSchema,
  registryConflict,
} from "@op/core";
import {
  accessTokenLifetime,
  checkExchangeTargets,
  clientTokenScope,
  effectiveGrants,
  exchangedScope,
  grantsProblem,
  mergeRegistry,
  registeredTargets,
  resourceById,
  resourceByIdentifier,
  resourceProblem,
  resourceScopes,
  resourcesForConsent,
  resourcesServedBy,
  SUPPORTED_SCOPES,
  servesAudience,
  stillRegistered,
} from "@op/rules";
import { describe, expect, it } from "vitest";
import type { z } from "zod";

/** The registry's rules (packages/rules resources.ts), one function at a time. */

const USERINFO = "https://op.example.com/userinfo";
const resource = (id: string, extra: Partial<ResourceServer> = {}): ResourceServer =>
  ResourceServerSchema.parse({
    id,
    name: id,
    identifiers: [`https://${id}.example.com/`],
    scopes: [
      { name: "read", description: "r" },
      { name: "write", description: "w" },
    ],
    ...extra,
  });
const payments = resource("payments", {
  identifiers: ["https://payments.example.com/", "urn:example:payments"],
  scopes: [
    { name: "payments:read", description: "See payments" },
    { name: "payments:write", description: "Make payments" },
    { name: "read", description: "r" },
  ],
  default_scopes: ["payments:read"],
  access_token_lifetime: 300,
  client_ids: ["gateway"],
  downstream: ["ledger"],
});
const ledger = resource("ledger", { default_scopes: ["read"] });
const notes = resource("notes", { default_scopes: ["read", "write"] });
const registry = [payments, ledger, notes];
const grants = (g: z.input<typeof ClientGrantsSchema>): ClientGrants => ClientGrantsSchema.parse(g);
const targets = (...identifiers: string[]) => registeredTargets(registry, identifiers, USERINFO).targets;
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof OAuthError) return { error: err.error, description: err.description };
    throw err;
  }
  return undefined;
};

describe("schemas", () => {
  it("the OP's own scopes are exactly those the rules support", () => {
    expect([...OP_SCOPES].sort()).toEqual([...SUPPORTED_SCOPES].sort());
  });

  it("registryConflict: one resource per id and per identifier, none the userinfo audience", () => {
    expect(registryConflict(registry, USERINFO)).toBeUndefined();
    expect(registryConflict([...registry, resource("payments")], USERINFO)).toBe("resource id payments is taken");
    expect(registryConflict([...registry, resource("x", { identifiers: ["urn:example:payments"] })], USERINFO)).toBe(
      "identifier urn:example:payments already names resource payments",
    );
    expect(registryConflict([resource("x", { identifiers: [USERINFO] })], USERINFO)).toMatch(/userinfo/);
  });

  it("RESOURCES and CLIENT_GRANTS_DEFAULT parse as JSON with the same schemas, and refuse what the registry cannot hold", () => {
    const base = { ISSUER: "https://op.example.com" };
    const parsed = ConfigSchema.parse({ ...base, RESOURCES: JSON.stringify([{ id: "a", name: "A", identifiers: ["https://a.example.com/"] }]) });
    expect(parsed.configuredResources).toEqual([expect.objectContaining({ id: "a", scopes: [], client_ids: [] })]);
    expect(ConfigSchema.parse(base).clientGrantsDefault).toEqual(NO_GRANTS);
    expect(ConfigSchema.parse({ ...base, ENVIRONMENT: "development" }).clientGrantsDefault).toBe("requested");
    expect(ConfigSchema.parse({ ...base, CLIENT_GRANTS_DEFAULT: '{"token_exchange":["a"]}' }).clientGrantsDefault).toEqual({
      ...NO_GRANTS,
      token_exchange: ["a"],
    });
    for (const bad of [
      { RESOURCES: "[{" },
      { RESOURCES: '[{"id":"a"}]' },
      { RESOURCES: JSON.stringify([resource("a"), resource("a")]) },
      { RESOURCES: JSON.stringify([resource("a", { access_token_lifetime: 7200 })]) },
      { RESOURCES: JSON.stringify([resource("a", { identifiers: ["https://op.example.com/userinfo"] })]) },
      { CLIENT_GRANTS_DEFAULT: "everything" },
      { CLIENT_GRANTS_DEFAULT: '{"jwt_bearer":"any_user","x":1}' },
      { RESOURCE_CACHE_TTL: "301" },
    ]) {
      expect(ConfigSchema.safeParse({ ...base, ...bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("mergeRegistry (RESOURCES and the admin API: one registry)", () => {
  it("puts configured resources first and drops stored ones that clash with them", () => {
    const clash = resource("other", { identifiers: ["urn:example:payments"] });
    const merged = mergeRegistry([payments], [ledger, resource("payments"), clash]);
    expect(merged.map((r) => [r.id, r.source])).toEqual([
      ["payments", "configuration"],
      ["ledger", "admin"],
    ]);
  });
});

describe("registeredTargets (RFC 8707 §2)", () => {
  it("names registered resources by any identifier, each once, sorted; userinfo apart; anything else invalid_target", () => {
    const named = registeredTargets(registry, ["urn:example:payments", "https://notes.example.com/", "urn:example:payments", USERINFO], USERINFO);
    expect(named.userinfo).toBe(true);
    expect(named.targets.map((t) => [t.identifier, t.resource.id])).toEqual([
      ["https://notes.example.com/", "notes"],
      ["urn:example:payments", "payments"],
    ]);
    expect(refusal(() => registeredTargets(registry, ["https://bank.example/api"], USERINFO))).toEqual({
      error: "invalid_target",
      description: "https://bank.example/api is not a resource registered with this OP",
    });
  });
});

describe("effectiveGrants (CLIENT_GRANTS_DEFAULT, JWT_BEARER_TRUSTED_CLIENTS)", () => {
  const client = { client_id: "c1", scope: "payments:write read admin", token_exchange_audiences: ["urn:example:payments", "https://unknown.example/"] };
  const config = (clientGrantsDefault: "requested" | ClientGrants, trusted: string[] = []) => ({
    clientGrantsDefault,
    jwtBearerTrustedClients: new Set(trusted),
  });

  it("the operator's grants when set, whatever the client's metadata asks", () => {
    const set = grants({ client_credentials: [{ resource: "ledger", scopes: ["read"] }] });
    expect(effectiveGrants(client, set, config("requested"), registry)).toEqual({ grants: set, source: "operator" });
  });

  it("else the default: none, a fixed grant, or (requested) what the metadata asks within the registry", () => {
    expect(effectiveGrants(client, null, config(NO_GRANTS), registry)).toEqual({ grants: NO_GRANTS, source: "default" });
    expect(effectiveGrants(client, null, config("requested"), registry).grants).toEqual({
      client_credentials: [
        { resource: "payments", scopes: ["payments:write", "read"] },
        { resource: "ledger", scopes: ["read"] },
        { resource: "notes", scopes: ["read"] },
      ],
      token_exchange: ["payments"],
      jwt_bearer: "self",
    });
  });

  it("JWT_BEARER_TRUSTED_CLIENTS is an operator grant of jwt_bearer any_user", () => {
    expect(effectiveGrants(client, null, config(NO_GRANTS, ["c1"]), registry).grants.jwt_bearer).toBe("any_user");
    expect(effectiveGrants(client, grants({}), config(NO_GRANTS, ["c1"]), registry).grants.jwt_bearer).toBe("any_user");
    expect(effectiveGrants(client, grants({}), config(NO_GRANTS, ["c2"]), registry).grants.jwt_bearer).toBe("self");
  });
});

describe("clientTokenScope (RFC 6749 §4.4, RFC 7523 §2.1)", () => {
  const granted = grants({
    client_credentials: [
      { resource: "payments", scopes: ["payments:read", "read"] },
      { resource: "ledger", scopes: ["read", "write"] },
    ],
  });
  const self = { forUser: false };

  it("within the granted resources and scopes; defaults when no scope is asked", () => {
    expect(clientTokenScope(registry, granted, { targets: targets("urn:example:payments"), scope: "payments:read" }, self)).toEqual({
      resources: ["urn:example:payments"],
      scope: "payments:read",
    });
    expect(clientTokenScope(registry, granted, { targets: targets("https://payments.example.com/"), scope: undefined }, self).scope).toBe("payments:read");
    expect(clientTokenScope(registry, granted, { targets: targets("https://ledger.example.com/"), scope: undefined }, self).scope).toBe("read");
  });

  it.each<[string, Parameters<typeof clientTokenScope>[2], string, RegExp]>([
    ["a resource not granted", { targets: targets("https://notes.example.com/"), scope: "read" }, "invalid_target", /may not obtain tokens for/],
    ["a scope not granted", { targets: targets("urn:example:payments"), scope: "payments:write" }, "invalid_scope", /not granted for/],
    ["a scope the resource does not define", { targets: targets("urn:example:payments"), scope: "admin" }, "invalid_scope", /not defined by the requested/],
    ["openid for itself", { targets: targets("urn:example:payments"), scope: "openid" }, "invalid_scope", /not allowed here/],
    ["the userinfo audience for itself", { targets: [], userinfo: true, scope: undefined }, "invalid_target", /userinfo/],
    ["no resource with several granted", { targets: [], scope: "read" }, "invalid_target", /resource is required/],
  ])("refuses %s", (_name, requested, error, description) => {
    const r = refusal(() => clientTokenScope(registry, granted, requested, self));
    expect(r?.error).toBe(error);
    expect(r?.description).toMatch(description);
  });

  it("without a resource: the one granted, by its first identifier; none granted is unauthorized_client", () => {
    const one = grants({ client_credentials: [{ resource: "payments", scopes: ["payments:read"] }] });
    expect(clientTokenScope(registry, one, { targets: [], scope: undefined }, self)).toEqual({
      resources: ["https://payments.example.com/"],
      scope: "payments:read",
    });
    expect(refusal(() => clientTokenScope(registry, NO_GRANTS, { targets: [], scope: "read" }, self))?.error).toBe("unauthorized_client");
    // A grant naming a resource that is gone grants nothing.
    const gone = grants({ client_credentials: [{ resource: "deleted", scopes: ["read"] }] });
    expect(refusal(() => clientTokenScope(registry, gone, { targets: [], scope: undefined }, self))?.error).toBe("unauthorized_client");
  });

  it("a scope several audiences define must be granted for each (requested or default)", () => {
    const both = targets("https://ledger.example.com/", "urn:example:payments");
    // read is granted for both; write only for ledger, and payments does not define write: both pass.
    expect(clientTokenScope(registry, granted, { targets: both, scope: "read write" }, self).scope).toBe("read write");
    expect(refusal(() => clientTokenScope(registry, granted, { targets: both, scope: "payments:write" }, self))).toEqual({
      error: "invalid_scope",
      description: "scope payments:write is not granted for urn:example:payments",
    });
    const readOnlyLedger = grants({
      client_credentials: [
        { resource: "ledger", scopes: ["write"] },
        { resource: "notes", scopes: ["read"] },
      ],
    });
    const ledgerAndNotes = targets("https://ledger.example.com/", "https://notes.example.com/");
    expect(refusal(() => clientTokenScope(registry, readOnlyLedger, { targets: ledgerAndNotes, scope: "read" }, self))?.description).toBe(
      "scope read is not granted for https://ledger.example.com/",
    );
    // Defaults: notes' read and write, ledger's read; read is not granted for ledger, write not for notes: nothing passes.
    expect(clientTokenScope(registry, readOnlyLedger, { targets: ledgerAndNotes, scope: undefined }, self).scope).toBe("");
  });

  it("a user's token (a trusted JWT bearer assertion) may carry the OP's scopes but offline_access, and is for userinfo without a resource", () => {
    const user = { forUser: true };
    expect(clientTokenScope(registry, NO_GRANTS, { targets: [], scope: "openid email" }, user)).toEqual({ resources: [], scope: "openid email" });
    expect(clientTokenScope(registry, granted, { targets: targets("urn:example:payments"), userinfo: true, scope: "openid read" }, user).resources).toEqual([
      "urn:example:payments",
    ]);
    expect(refusal(() => clientTokenScope(registry, granted, { targets: [], scope: "offline_access" }, user))?.error).toBe("invalid_scope");
    expect(refusal(() => clientTokenScope(registry, granted, { targets: [], scope: "read" }, user))?.error).toBe("invalid_scope");
  });
});

describe("checkExchangeTargets (RFC 8693 §2.2.2)", () => {
  it("allows the operator's token_exchange resources, or a resource server's downstream for tokens addressed to it", () => {
    const granted = grants({ token_exchange: ["notes"] });
    expect(() => checkExchangeTargets(registry, "app", granted, [], targets("https://notes.example.com/"))).not.toThrow();
    expect(refusal(() => checkExchangeTargets(registry, "app", granted, [], targets("https://ledger.example.com/")))?.error).toBe("invalid_target");
    // gateway is payments' own client; payments' downstream is ledger.
    expect(() => checkExchangeTargets(registry, "gateway", NO_GRANTS, ["urn:example:payments"], targets("https://ledger.example.com/"))).not.toThrow();
    // Not from a token addressed elsewhere, nor beyond the downstream list.
    expect(
      refusal(() => checkExchangeTargets(registry, "gateway", NO_GRANTS, ["https://notes.example.com/"], targets("https://ledger.example.com/")))?.error,
    ).toBe("invalid_target");
    expect(refusal(() => checkExchangeTargets(registry, "gateway", NO_GRANTS, ["urn:example:payments"], targets("https://notes.example.com/")))?.error).toBe(
      "invalid_target",
    );
  });
});

describe("exchangedScope (RFC 8693 §2.1)", () => {
  const ledgerTarget = targets("https://ledger.example.com/");
  it("narrows, never widens, and keeps what the targets understand", () => {
    expect(exchangedScope("openid read payments:read", undefined, ledgerTarget)).toBe("openid read");
    expect(exchangedScope("openid read payments:read", "read", ledgerTarget)).toBe("read");
    expect(exchangedScope("openid read payments:read", undefined, [])).toBe("openid");
    expect(refusal(() => exchangedScope("read", "read write", ledgerTarget))?.description).toBe("scope write exceeds the subject token's");
    expect(refusal(() => exchangedScope("read payments:read", "payments:read", ledgerTarget))?.description).toMatch(/not defined by the requested/);
    expect(refusal(() => exchangedScope("read", "", ledgerTarget))?.error).toBe("invalid_scope");
  });
});

describe("resourceById, resourceByIdentifier, resourcesServedBy", () => {
  it("find a resource by id, by any of its identifiers, and those a client serves", () => {
    expect(resourceById(registry, "ledger")).toBe(ledger);
    expect(resourceById(registry, "https://ledger.example.com/")).toBeUndefined();
    expect(resourceByIdentifier(registry, "urn:example:payments")).toBe(payments);
    expect(resourceByIdentifier(registry, "payments")).toBeUndefined();
    expect(resourcesServedBy(registry, "gateway")).toEqual([payments]);
    expect(resourcesServedBy(registry, "app")).toEqual([]);
  });
});

describe("servesAudience (RFC 7662 §2.1)", () => {
  it("a resource's own client, for tokens with one of its identifiers in aud", () => {
    expect(servesAudience(registry, "gateway", ["urn:example:payments", USERINFO])).toBe(true);
    expect(servesAudience(registry, "gateway", ["https://ledger.example.com/"])).toBe(false);
    expect(servesAudience(registry, "someone", ["urn:example:payments"])).toBe(false);
  });
});

describe("stillRegistered (RFC 8707 §2)", () => {
  it("keeps the registered resources a grant names, and the userinfo audience", () => {
    expect(stillRegistered(registry, ["https://gone.example.com/", "urn:example:payments", USERINFO], USERINFO)).toEqual(["urn:example:payments", USERINFO]);
    expect(stillRegistered(registry, [], USERINFO)).toEqual([]);
  });
});

describe("accessTokenLifetime (RFC 9068 §2.2 exp)", () => {
  it("the shortest its resources ask, never beyond the OP's", () => {
    expect(accessTokenLifetime(registry, ["https://ledger.example.com/"], 3600)).toBe(3600);
    expect(accessTokenLifetime(registry, ["https://ledger.example.com/", "urn:example:payments"], 3600)).toBe(300);
    expect(accessTokenLifetime(registry, ["urn:example:payments"], 120)).toBe(120);
    expect(accessTokenLifetime(registry, [], 3600)).toBe(3600);
  });
});

describe("resourceScopes (OIDC Core §3.1.2.1, RFC 6749 §3.3), for the authorization endpoint", () => {
  it("the requested resources' scopes, within the client's own restriction; their defaults when none asked", () => {
    const t = targets("urn:example:payments", "https://notes.example.com/");
    expect(resourceScopes({}, t, "openid payments:write admin")).toEqual(["payments:write"]);
    expect(resourceScopes({}, t, "openid")).toEqual(["read", "write", "payments:read"]);
    expect(resourceScopes({ scope: "openid read" }, t, "openid")).toEqual(["read"]);
    expect(resourceScopes({}, [], "payments:write")).toEqual([]);
  });
});

describe("resourcesForConsent, for the consent page", () => {
  it("each API's name and the asked scopes' descriptions", () => {
    expect(resourcesForConsent(targets("urn:example:payments"), ["payments:write", "openid"])).toEqual([
      { identifier: "urn:example:payments", name: "payments", scopes: [{ name: "payments:write", description: "Make payments" }] },
    ]);
  });
});

describe("grantsProblem (the admin API's grants)", () => {
  it("registered resources, their own scopes", () => {
    expect(
      grantsProblem(registry, grants({ client_credentials: [{ resource: "payments", scopes: ["payments:read"] }], token_exchange: ["ledger"] })),
    ).toBeUndefined();
    expect(grantsProblem(registry, grants({ client_credentials: [{ resource: "bank" }] }))).toMatch(/^client_credentials\.0\.resource: /);
    expect(grantsProblem(registry, grants({ client_credentials: [{ resource: "ledger", scopes: ["payments:read"] }] }))).toMatch(
      /^client_credentials\.0\.scopes: /,
    );
    expect(grantsProblem(registry, grants({ token_exchange: ["ledger", "bank"] }))).toMatch(/^token_exchange\.1: /);
  });
});

describe("resourceProblem (the admin API's resources)", () => {
  it("lifetime, userinfo, configured clashes (conflict), downstream registered", () => {
    const opts = { maxLifetime: 600, userinfoAudience: USERINFO, configured: [payments] };
    expect(resourceProblem(registry, resource("new", { downstream: ["ledger", "new"] }), opts)).toBeUndefined();
    expect(resourceProblem(registry, resource("new", { access_token_lifetime: 601 }), opts)?.kind).toBe("invalid");
    expect(resourceProblem(registry, resource("new", { identifiers: [USERINFO] }), opts)?.kind).toBe("invalid");
    expect(resourceProblem(registry, resource("payments"), opts)?.kind).toBe("conflict");
    expect(resourceProblem(registry, resource("new", { identifiers: ["urn:example:payments"] }), opts)?.kind).toBe("conflict");
    expect(resourceProblem(registry, resource("new", { downstream: ["gone"] }), opts)).toEqual({
      kind: "invalid",
      description: "downstream: gone is not a registered resource",
    });
  });
});
