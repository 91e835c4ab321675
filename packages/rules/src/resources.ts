import {
  type Client,
  type ClientGrants,
  type Config,
  invalidScope,
  invalidTarget,
  NO_GRANTS,
  OP_SCOPES,
  type RegisteredResource,
  type ResourceServer,
  unauthorizedClient,
} from "@op/core";
import { scopesOf } from "./scope";

/**
 * The resource registry's rules (docs/resources.md): which `resource` and `audience` values name
 * a registered API, what a client may obtain without a user, what a token for several APIs may
 * carry, who may introspect and exchange a token. Pure functions over the registry's records;
 * storage is the ResourceRegistry Durable Object's and the ClientRegistration's.
 */

/** The registry as the rules see it: configured and admin-managed resources together (mergeRegistry). */
export type Registry = readonly ResourceServer[];

/** A `resource` or `audience` value and the registered resource it names. */
export interface Target {
  identifier: string;
  resource: ResourceServer;
}

const isOpScope = (scope: string) => (OP_SCOPES as readonly string[]).includes(scope);
const defines = (resource: ResourceServer, scope: string) => resource.scopes.some((s) => s.name === scope);

export const resourceById = <R extends ResourceServer>(registry: readonly R[], id: string): R | undefined => registry.find((r) => r.id === id);
export const resourceByIdentifier = <R extends ResourceServer>(registry: readonly R[], identifier: string): R | undefined =>
  registry.find((r) => r.identifiers.includes(identifier));

/**
 * The one registry: the RESOURCES variable's resources, then the admin API's. A stored resource
 * that shares an id or an identifier with a configured one is left out (configuration wins; the
 * admin API refuses to create such a resource, but RESOURCES may change after it was created).
 */
export function mergeRegistry(configured: readonly ResourceServer[], stored: readonly ResourceServer[]): RegisteredResource[] {
  const ids = new Set(configured.map((r) => r.id));
  const identifiers = new Set(configured.flatMap((r) => r.identifiers));
  const kept = stored.filter((r) => !ids.has(r.id) && !r.identifiers.some((i) => identifiers.has(i)));
  return [...configured.map((r) => ({ ...r, source: "configuration" as const })), ...kept.map((r) => ({ ...r, source: "admin" as const }))];
}

/**
 * RFC 8707 §2: each `resource` must name a registered resource or the OP's own userinfo
 * audience, else invalid_target; RFC 8693 §2.2.2: so must each `audience`. Returns the
 * resources named (sorted by identifier, each once) and whether userinfo was among them.
 */
export function registeredTargets(registry: Registry, values: readonly string[], userinfoAudience: string): { targets: Target[]; userinfo: boolean } {
  const targets: Target[] = [];
  let userinfo = false;
  for (const identifier of new Set(values)) {
    if (identifier === userinfoAudience) {
      userinfo = true;
      continue;
    }
    const resource = resourceByIdentifier(registry, identifier);
    if (!resource) throw invalidTarget(`${identifier} is not a resource registered with this OP`);
    targets.push({ identifier, resource });
  }
  return { targets: targets.sort((a, b) => (a.identifier < b.identifier ? -1 : a.identifier > b.identifier ? 1 : 0)), userinfo };
}

/**
 * RFC 8707 §2: the resources a user's grant names that tokens may still be issued for: those
 * registered now (a code or refresh token may name one deleted since, or one the authorization
 * endpoint let through), and the OP's userinfo audience. The others are left out of the token.
 */
export function stillRegistered(registry: Registry, resources: readonly string[], userinfoAudience: string): string[] {
  return resources.filter((r) => r === userinfoAudience || resourceByIdentifier(registry, r) !== undefined);
}

/**
 * What a client gets without a user: the operator's grants when set, else CLIENT_GRANTS_DEFAULT
 * (`requested` derives them from the client's own `scope` and `token_exchange_audiences`, within
 * the registry: a development convenience). JWT_BEARER_TRUSTED_CLIENTS adds `any_user` either way.
 */
export function effectiveGrants(
  client: Pick<Client, "client_id" | "scope" | "token_exchange_audiences">,
  operatorGrants: ClientGrants | null,
  config: Pick<Config, "clientGrantsDefault" | "jwtBearerTrustedClients">,
  registry: Registry,
): { grants: ClientGrants; source: "operator" | "default" } {
  const source = operatorGrants ? ("operator" as const) : ("default" as const);
  const base = operatorGrants ?? (config.clientGrantsDefault === "requested" ? requestedGrants(client, registry) : config.clientGrantsDefault);
  const grants = config.jwtBearerTrustedClients.has(client.client_id) ? { ...base, jwt_bearer: "any_user" as const } : base;
  return { grants, source };
}

/** The `requested` default: each registered resource defining a scope the client's `scope` lists; the resources its token_exchange_audiences name. */
function requestedGrants(client: Pick<Client, "scope" | "token_exchange_audiences">, registry: Registry): ClientGrants {
  const wanted = scopesOf(client.scope);
  const client_credentials = registry.map((r) => ({ resource: r.id, scopes: wanted.filter((s) => defines(r, s)) })).filter((g) => g.scopes.length > 0);
  const token_exchange = [
    ...new Set((client.token_exchange_audiences ?? []).flatMap((a) => registry.filter((r) => r.identifiers.includes(a)).map((r) => r.id))),
  ];
  return { ...NO_GRANTS, client_credentials, token_exchange };
}

/**
 * RFC 6749 §3.3 for a token aimed at several resources: each scope must be defined by one of
 * them, and a resource that defines it must have it allowed (`allowedFor`), since every resource
 * reads the token's `scope` as its own (a `write` granted for one API is not one for another
 * API that also defines `write`). `opScope` says whether a scope of the OP's own is allowed.
 */
function checkScopeAcrossTargets(scope: string, targets: readonly Target[], allowedFor: (r: ResourceServer) => boolean, opScope: boolean) {
  if (isOpScope(scope)) {
    if (!opScope) throw invalidScope(`scope ${scope} is not allowed here`);
    return;
  }
  const definers = targets.filter((t) => defines(t.resource, scope));
  if (!definers.length) throw invalidScope(`scope ${scope} is not defined by the requested resources`);
  const refused = definers.find((t) => !allowedFor(t.resource));
  if (refused) throw invalidScope(`scope ${scope} is not granted for ${refused.identifier}`);
}

/**
 * RFC 6749 §4.4 and RFC 7523 §2.1: the resources and scope of a token a client obtains with no
 * user consenting, within the operator's `client_credentials` grants. Without `resource`
 * (RFC 8707 §2 leaves the default to the server), a token in the client's own name is for the
 * one resource it is granted (several: `resource` is required); a token naming a user
 * (`forUser`, a trusted JWT bearer assertion) is then for userinfo, with the OP's scopes only.
 * Without `scope`, each resource's `default_scopes` that are granted (RFC 6749 §3.3).
 * openid and offline_access are a user's (refused for the client itself); a user's token may
 * carry the OP's other scopes. The userinfo audience is only a user's token's (it follows `openid`).
 */
export function clientTokenScope(
  registry: Registry,
  grants: ClientGrants,
  requested: { targets: readonly Target[]; userinfo?: boolean; scope: string | undefined },
  opts: { forUser: boolean },
): { resources: string[]; scope: string } {
  if (requested.userinfo && !opts.forUser) throw invalidTarget("the userinfo audience is for tokens that name a user");
  const allowed = new Map<string, Set<string>>();
  for (const g of grants.client_credentials) {
    const resource = resourceById(registry, g.resource);
    if (resource) allowed.set(resource.id, new Set(g.scopes.filter((s) => defines(resource, s))));
  }
  let targets = [...requested.targets];
  for (const t of targets) if (!allowed.has(t.resource.id)) throw invalidTarget(`this client may not obtain tokens for ${t.identifier}`);
  if (!targets.length && !opts.forUser) {
    const [only, ...others] = [...allowed.keys()].map((id) => resourceById(registry, id)!);
    if (!only) throw unauthorizedClient("the operator has granted this client no resource to obtain tokens for");
    if (others.length) throw invalidTarget("resource is required: this client may obtain tokens for several resources");
    targets = [{ identifier: only.identifiers[0]!, resource: only }];
  }
  const wanted = scopesOf(requested.scope);
  const userScope = (s: string) => opts.forUser && s !== "offline_access";
  for (const s of wanted) checkScopeAcrossTargets(s, targets, (r) => allowed.get(r.id)!.has(s), userScope(s));
  // Defaults pass the same test as requested scopes, quietly: one a resource grants is left out where another audience defines it but does not grant it.
  const grantedEverywhere = (s: string) => targets.every((t) => !defines(t.resource, s) || allowed.get(t.resource.id)!.has(s));
  const scopes = wanted.length ? wanted : targets.flatMap((t) => t.resource.default_scopes).filter(grantedEverywhere);
  return { resources: targets.map((t) => t.identifier), scope: [...new Set(scopes)].join(" ") };
}

/**
 * RFC 8693 §2.2.2: the resources a client may exchange a token for: those the operator's
 * `token_exchange` grant names, or, when the client is a resource server's own and the subject
 * token is addressed to that resource server, its `downstream` resources (docs/resources.md).
 * Anything else is invalid_target.
 */
export function checkExchangeTargets(
  registry: Registry,
  clientId: string,
  grants: ClientGrants,
  subjectAudiences: readonly string[],
  targets: readonly Target[],
) {
  const served = resourcesServedBy(registry, clientId).filter((r) => r.identifiers.some((i) => subjectAudiences.includes(i)));
  for (const t of targets) {
    const allowed = grants.token_exchange.includes(t.resource.id) || served.some((r) => r.downstream.includes(t.resource.id));
    if (!allowed) throw invalidTarget(`the client may not exchange tokens for ${t.identifier}`);
  }
}

/**
 * RFC 8693 §2.1 / §5: the exchanged token's scope narrows the subject token's, never widens it
 * (invalid_scope), and keeps only what its audience understands: the OP's own scopes and those
 * the target resources define. Without `scope`, the subject token's scopes that fit.
 */
export function exchangedScope(subjectScope: string, requested: string | undefined, targets: readonly Target[]): string {
  const granted = scopesOf(subjectScope);
  const fits = (s: string) => isOpScope(s) || targets.some((t) => defines(t.resource, s));
  if (requested === undefined) return granted.filter(fits).join(" ");
  const wanted = scopesOf(requested);
  if (!wanted.length) throw invalidScope("scope must name at least one scope");
  const beyond = wanted.find((s) => !granted.includes(s));
  if (beyond) throw invalidScope(`scope ${beyond} exceeds the subject token's`);
  const foreign = wanted.find((s) => !fits(s));
  if (foreign) throw invalidScope(`scope ${foreign} is not defined by the requested resources`);
  return wanted.join(" ");
}

/** The resources whose own clients include `clientId` (the resource servers it acts for). */
export const resourcesServedBy = (registry: Registry, clientId: string): ResourceServer[] => registry.filter((r) => r.client_ids.includes(clientId));

/**
 * RFC 7662 §2.1: a resource server registered with the operator may introspect the tokens
 * issued for it: `clientId` is one of a registered resource's own clients, and one of the
 * token's audiences is that resource's identifier.
 */
export function servesAudience(registry: Registry, clientId: string, audiences: readonly string[]): boolean {
  return resourcesServedBy(registry, clientId).some((r) => r.identifiers.some((i) => audiences.includes(i)));
}

/**
 * A token's lifetime: the shortest its resources ask for (`access_token_lifetime`), never more
 * than ACCESS_TOKEN_TTL, which bounds how long retired keys stay published and revocation
 * records are kept (so a longer token could outlive both).
 */
export function accessTokenLifetime(registry: Registry, resources: readonly string[], maxLifetime: number): number {
  const asked = resources.map((i) => resourceByIdentifier(registry, i)?.access_token_lifetime).filter((l): l is number => l !== undefined);
  return Math.min(maxLifetime, ...asked);
}

/**
 * For the authorization endpoint (and device authorization): the scopes of a request that the
 * named resources define, within the client's registered `scope` when it has one (a client may
 * restrict itself); unknown ones are ignored as OIDC Core §3.1.2.1 and RFC 6749 §3.3 allow.
 * When the request names resources but none of their scopes, their `default_scopes`.
 */
export function resourceScopes(client: Pick<Client, "scope">, targets: readonly Target[], scope: string | undefined): string[] {
  const restriction = client.scope ? new Set(scopesOf(client.scope)) : undefined;
  const permitted = (s: string) => !restriction || restriction.has(s);
  const wanted = scopesOf(scope).filter((s) => !isOpScope(s) && targets.some((t) => defines(t.resource, s)) && permitted(s));
  if (wanted.length) return wanted;
  return [...new Set(targets.flatMap((t) => t.resource.default_scopes))].filter(permitted);
}

/** What a consent page shows of a request's resources: each API's name, and its scopes the request asks for, with their descriptions. */
export function resourcesForConsent(targets: readonly Target[], scopes: readonly string[]) {
  return targets.map((t) => ({
    identifier: t.identifier,
    name: t.resource.name,
    scopes: t.resource.scopes.filter((s) => scopes.includes(s.name)).map((s) => ({ name: s.name, description: s.description })),
  }));
}

/**
 * Why the operator's grants cannot be stored as written, or undefined: every resource they name
 * must be registered and every scope defined by its resource (a typo would grant nothing, silently).
 */
export function grantsProblem(registry: Registry, grants: ClientGrants): string | undefined {
  for (const [i, g] of grants.client_credentials.entries()) {
    const resource = resourceById(registry, g.resource);
    if (!resource) return `client_credentials.${i}.resource: ${g.resource} is not a registered resource`;
    const undefinedScope = g.scopes.find((s) => !defines(resource, s));
    if (undefinedScope !== undefined) return `client_credentials.${i}.scopes: ${undefinedScope} is not a scope of ${g.resource}`;
  }
  const unknown = grants.token_exchange.findIndex((id) => !resourceById(registry, id));
  if (unknown >= 0) return `token_exchange.${unknown}: ${grants.token_exchange[unknown]} is not a registered resource`;
  return undefined;
}

/**
 * Why a resource cannot join the registry as written, or undefined (the admin API's checks
 * beside the Durable Object's own, which keeps stored ids and identifiers unique): its
 * lifetime within ACCESS_TOKEN_TTL, its `downstream` resources registered. `conflict` is for a
 * clash with a configured resource or the userinfo audience (409 rather than 400).
 */
export function resourceProblem(
  registry: Registry,
  resource: ResourceServer,
  opts: { maxLifetime: number; userinfoAudience: string; configured: readonly ResourceServer[] },
): { kind: "invalid" | "conflict"; description: string } | undefined {
  if (resource.access_token_lifetime !== undefined && resource.access_token_lifetime > opts.maxLifetime) {
    return { kind: "invalid", description: `access_token_lifetime: at most ACCESS_TOKEN_TTL (${opts.maxLifetime} s)` };
  }
  if (resource.identifiers.includes(opts.userinfoAudience))
    return { kind: "invalid", description: `identifiers: ${opts.userinfoAudience} is the OP's userinfo audience` };
  if (opts.configured.some((r) => r.id === resource.id))
    return { kind: "conflict", description: `resource ${resource.id} is set by the RESOURCES variable and is read-only here` };
  const taken = resource.identifiers.find((i) => opts.configured.some((r) => r.identifiers.includes(i)));
  if (taken) return { kind: "conflict", description: `identifier ${taken} names a resource set by the RESOURCES variable` };
  const missing = resource.downstream.find((id) => id !== resource.id && !resourceById(registry, id));
  if (missing) return { kind: "invalid", description: `downstream: ${missing} is not a registered resource` };
  return undefined;
}
