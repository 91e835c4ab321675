import { z } from "zod";

/**
 * Resource servers (APIs) and what a client may obtain without a user: the operator's records,
 * kept through the admin API and the RESOURCES variable, never written by clients.
 * docs/resources.md explains the model; packages/rules resources.ts holds the rules over them.
 */

/** The scopes this OP itself defines (OIDC Core §5.4, §11); no resource may define them. */
export const OP_SCOPES = ["openid", "offline_access", "profile", "email", "address", "phone"] as const;

/** An operator's handle for a resource: in admin URLs and in grants, so URL-safe and short. */
export const ResourceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "a resource id is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const ScopeTokenSchema = z
  .string()
  .max(128)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "a scope is printable ASCII without spaces, '\"' or '\\' (RFC 6749 §3.3)");

/** RFC 8707 §2: an absolute URI without a fragment; used as `resource` and as `aud`. */
export const ResourceIdentifierSchema = z
  .string()
  .max(2000)
  .refine((value) => {
    if (value.includes("#")) return false;
    try {
      new URL(value);
      return true;
    } catch {
      return false;
    }
  }, "a resource identifier is an absolute URI without a fragment (RFC 8707 §2)");

/** The client_id of a client that exists or may exist (as in ClientRegistration's isPlausibleClientId). */
const ClientIdSchema = z.string().min(1).max(200);

const duplicateIn = (values: readonly string[]) => values.find((v, i) => values.indexOf(v) !== i);

export const ACCESS_TOKEN_FORMATS = ["jwt"] as const;
/** The longest lifetime a resource may ask of its tokens; ACCESS_TOKEN_TTL bounds it further (config.ts). */
export const MAX_ACCESS_TOKEN_LIFETIME = 86400;

/**
 * A resource server registered with the operator. `identifiers` are the values clients send as
 * `resource` (RFC 8707) or `audience` (RFC 8693) and tokens carry as `aud` (exactly the one
 * requested; the first when a request names none); `scopes` are the only scopes tokens for it
 * may carry, with the text consent pages show; `client_ids` are the resource server's own
 * clients, which may introspect (RFC 7662 §2.1) and exchange (RFC 8693) tokens for it, the
 * latter for the `downstream` resources only.
 */
export const ResourceServerSchema = z
  .strictObject({
    id: ResourceIdSchema,
    name: z.string().min(1).max(200),
    identifiers: z.array(ResourceIdentifierSchema).min(1).max(10),
    scopes: z
      .array(
        z.strictObject({
          name: ScopeTokenSchema.refine(
            (s) => !(OP_SCOPES as readonly string[]).includes(s),
            "openid, offline_access, profile, email, address and phone are the OP's own scopes",
          ),
          description: z.string().min(1).max(300),
        }),
      )
      .max(100)
      .default([]),
    /** Scopes a token for this resource carries when its request names none (docs/resources.md). */
    default_scopes: z.array(ScopeTokenSchema).max(100).default([]),
    /** RFC 9068 JWTs today; the member exists so that opaque tokens can be added. */
    access_token_format: z.enum(ACCESS_TOKEN_FORMATS).default("jwt"),
    /** Seconds; at most ACCESS_TOKEN_TTL (which bounds key retirement and revocation records). Absent: ACCESS_TOKEN_TTL. */
    access_token_lifetime: z.number().int().min(1).max(MAX_ACCESS_TOKEN_LIFETIME).optional(),
    client_ids: z.array(ClientIdSchema).max(20).default([]),
    /** Ids of the resources this resource server's clients may exchange its tokens for. */
    downstream: z.array(ResourceIdSchema).max(50).default([]),
  })
  .superRefine((r, ctx) => {
    const names = r.scopes.map((s) => s.name);
    const twice = duplicateIn(names);
    if (twice !== undefined) ctx.addIssue({ code: "custom", path: ["scopes"], message: `scope ${twice} is defined twice` });
    const undefinedDefault = r.default_scopes.find((s) => !names.includes(s));
    if (undefinedDefault !== undefined)
      ctx.addIssue({ code: "custom", path: ["default_scopes"], message: `${undefinedDefault} is not one of the resource's scopes` });
    const sameIdentifier = duplicateIn(r.identifiers);
    if (sameIdentifier !== undefined) ctx.addIssue({ code: "custom", path: ["identifiers"], message: `${sameIdentifier} is listed twice` });
  });
export type ResourceServer = z.output<typeof ResourceServerSchema>;
export type ResourceServerInput = z.input<typeof ResourceServerSchema>;

/** Where a registered resource comes from: the RESOURCES variable (read-only) or the admin API. */
export const RESOURCE_SOURCES = ["configuration", "admin"] as const;
export type ResourceSource = (typeof RESOURCE_SOURCES)[number];
export type RegisteredResource = ResourceServer & { source: ResourceSource };

/** A resource and the scopes of it a client may obtain for itself. */
export const ResourceGrantSchema = z.strictObject({
  resource: ResourceIdSchema,
  scopes: z.array(ScopeTokenSchema).max(100).default([]),
});

/** RFC 7523 §2.1: whose subject a client's JWT bearer assertions may name. */
export const JWT_BEARER_SUBJECTS = ["self", "any_user"] as const;

/**
 * What the operator grants a client beyond what users consent to (docs/resources.md):
 * `client_credentials`, the resources and scopes it may obtain tokens for in its own name
 * (RFC 6749 §4.4; JWT bearer tokens are bounded by the same list); `token_exchange`, the
 * resources it may exchange tokens for (RFC 8693); `jwt_bearer`, whether its assertions may
 * name any user (impersonation power) or only itself.
 */
export const ClientGrantsSchema = z
  .strictObject({
    client_credentials: z.array(ResourceGrantSchema).max(50).default([]),
    token_exchange: z.array(ResourceIdSchema).max(50).default([]),
    jwt_bearer: z.enum(JWT_BEARER_SUBJECTS).default("self"),
  })
  .superRefine((g, ctx) => {
    const twice = duplicateIn(g.client_credentials.map((c) => c.resource));
    if (twice !== undefined) ctx.addIssue({ code: "custom", path: ["client_credentials"], message: `resource ${twice} is listed twice` });
  });
export type ClientGrants = z.output<typeof ClientGrantsSchema>;

/** No grant at all: the production default for clients the operator has not looked at. */
export const NO_GRANTS: ClientGrants = { client_credentials: [], token_exchange: [], jwt_bearer: "self" };

/**
 * Why a set of resources cannot form one registry, or undefined: ids and identifiers must each
 * name one resource (so `resource` and `aud` values are unambiguous), and none may be the OP's
 * own userinfo audience.
 */
export function registryConflict(resources: readonly Pick<ResourceServer, "id" | "identifiers">[], userinfoAudience: string): string | undefined {
  const ids = new Set<string>();
  const identifiers = new Map<string, string>();
  for (const r of resources) {
    if (ids.has(r.id)) return `resource id ${r.id} is taken`;
    ids.add(r.id);
    for (const identifier of r.identifiers) {
      if (identifier === userinfoAudience) return `${identifier} is the OP's userinfo audience`;
      const owner = identifiers.get(identifier);
      if (owner !== undefined) return `identifier ${identifier} already names resource ${owner}`;
      identifiers.set(identifier, r.id);
    }
  }
  return undefined;
}
