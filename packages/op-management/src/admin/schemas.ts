import {
  AccountIdSchema,
  AccountSessionsResponseSchema,
  ClientGrantsSchema,
  LogoutRecordSchema,
  OAUTH_ERROR_CODES,
  RESOURCE_SOURCES,
  ResourceIdSchema,
  ResourceServerSchema,
  SessionIdSchema,
  SignOutEverywhereResponseSchema,
} from "@op/core";
import { z } from "zod";

/**
 * The admin API's request and response schemas. Resources and grants are the @op/core schemas
 * themselves (the single source, also for the RESOURCES variable and the stored records); here
 * they get their OpenAPI component names, and the responses their exact shapes.
 */

/** RFC 6749 §5.2: the one error body of every endpoint (packages/http errors.ts renders it). */
export const ErrorSchema = z
  .strictObject({
    error: z.enum(OAUTH_ERROR_CODES),
    error_description: z.string(),
  })
  .meta({ id: "Error", description: "Every error, as RFC 6749 §5.2 shapes it (docs/errors.md)." });

export const ResourceServer = ResourceServerSchema.meta({
  id: "ResourceServer",
  description: "A resource server (API) registered with the operator (docs/resources.md).",
});

export const ResourceServerView = ResourceServerSchema.safeExtend({
  source: z.enum(RESOURCE_SOURCES).meta({ description: "configuration: from the RESOURCES variable, read-only here; admin: managed through this API." }),
}).meta({ id: "RegisteredResource", description: "A registered resource server and where it comes from." });

export const ResourceList = z.strictObject({ resources: z.array(ResourceServerView) }).meta({ id: "ResourceList" });

export const ClientGrants = ClientGrantsSchema.meta({
  id: "ClientGrants",
  description: "What the operator grants a client beyond what users consent to (docs/resources.md).",
});

export const ClientGrantsView = z
  .strictObject({
    client_id: z.string(),
    source: z.enum(["operator", "default"]).meta({ description: "operator: set through this API; default: CLIENT_GRANTS_DEFAULT applies." }),
    grants: ClientGrants,
  })
  .meta({ id: "ClientGrantsView", description: "A client's grants: what applies now (JWT_BEARER_TRUSTED_CLIENTS included), and whence." });

export const KeyRotation = z
  .strictObject({
    kids: z.array(z.string()).meta({ description: "The new signing keys." }),
    retired: z.array(z.string()).meta({ description: "The keys they replace, still published until what they signed has expired." }),
    active_from: z.number().int().meta({ description: "When the new keys start signing (seconds since the epoch)." }),
  })
  .meta({ id: "KeyRotation" });

const PublicJwk = z.looseObject({ kty: z.enum(["RSA", "EC"]), kid: z.string(), alg: z.enum(["RS256", "ES256"]), use: z.literal("sig") });
export const PublishedKeys = z.strictObject({ keys: z.array(PublicJwk) }).meta({ id: "PublishedKeys", description: "The JWK Set (RFC 7517 §5) of /jwks." });

export const SecretRotation = z
  .strictObject({
    client_id: z.string(),
    client_secret: z.string().meta({ description: "The new secret, shown this once." }),
    previous_secret_valid_for: z.number().int().meta({ description: "Seconds the previous secret keeps working (CLIENT_SECRET_ROTATION_OVERLAP)." }),
  })
  .meta({ id: "SecretRotation" });

export const ClientIdParam = z.object({ client_id: z.string().min(1).max(200).meta({ description: "The client's client_id." }) });
export const ResourceIdParam = z.object({ id: ResourceIdSchema.meta({ description: "The resource's id." }) });

export const AccountParam = z.object({ sub: AccountIdSchema.meta({ description: "The account id (its public `sub`): 64 hexadecimal digits." }) });
export const SessionIdParam = z.object({ sid: SessionIdSchema.meta({ description: "The session's `sid`, as its ID tokens and logout tokens carry it." }) });

export const AccountSessions = AccountSessionsResponseSchema.meta({
  id: "AccountSessions",
  description: "An account's live sessions, each with the clients it served (never a session's cookie secret).",
});

export const LogoutRecord = LogoutRecordSchema.meta({
  id: "LogoutRecord",
  description:
    "A logout (docs/logout.md): the ended session, why, its clients and grants, and each back-channel delivery (kept a week after the last attempt).",
});

export const SignOutEverywhere = SignOutEverywhereResponseSchema.meta({
  id: "SignOutEverywhere",
  description: "Every session that ended, with its logout as it stood when the answer was sent (null when the session had already ended).",
});
