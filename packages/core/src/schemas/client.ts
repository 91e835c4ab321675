import { z } from "zod";
import { HARDENING_MODES } from "../config";
import type { ClientGrants } from "./resource";

/** What this OP implements; registration rejects anything else (RFC 7591 §2). */
/** OIDC Core §3 and OAuth 2.0 Multiple Response Types, each written with its words sorted. */
export const SUPPORTED_RESPONSE_TYPES = ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token", "none"] as const;
export type ResponseType = (typeof SUPPORTED_RESPONSE_TYPES)[number];
/** The same words in any order name the same response type (Multiple Response Types §2). */
export const normalizeResponseType = (value: string): string => value.split(" ").filter(Boolean).sort().join(" ");
/** Registration-only grant type (OIDC DCR §2): tokens straight from the authorization endpoint. */
export const IMPLICIT_GRANT = "implicit";
export const SUPPORTED_GRANT_TYPES = [
  "authorization_code",
  "refresh_token",
  "client_credentials",
  "urn:ietf:params:oauth:grant-type:token-exchange",
  "urn:ietf:params:oauth:grant-type:jwt-bearer",
  "urn:ietf:params:oauth:grant-type:device_code",
] as const;
/** Every client authentication method implemented; `enabledTokenAuthMethods` says which are on. */
export const SUPPORTED_TOKEN_AUTH_METHODS = [
  "client_secret_basic",
  "client_secret_post",
  "client_secret_jwt",
  "private_key_jwt",
  "tls_client_auth",
  "self_signed_tls_client_auth",
  "none",
] as const;
/** The methods that authenticate with a client_secret; only their clients are issued one (RFC 7591 §3.2.1). */
export const SECRET_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "client_secret_jwt"] as const;
export const usesClientSecret = (method: string): boolean => (SECRET_AUTH_METHODS as readonly string[]).includes(method);
/** RFC 8705 §2: the client authenticates with its TLS certificate. */
export const TLS_AUTH_METHODS = ["tls_client_auth", "self_signed_tls_client_auth"] as const;
export type TokenAuthMethod = (typeof SUPPORTED_TOKEN_AUTH_METHODS)[number];
/** RFC 7523 §3 assertion algorithms, per key type. */
export const ASSERTION_ALGS = { private_key_jwt: ["RS256", "PS256", "ES256"], client_secret_jwt: ["HS256", "HS384", "HS512"] } as const;

const jwkMember = z.string().max(4096).optional();

/** A public JWK (RFC 7517, RFC 7518 §6): the members verification needs; others are dropped. */
export const PublicJwkSchema = z.object({
  kty: z.enum(["RSA", "EC", "OKP"]),
  kid: z.string().max(200).optional(),
  use: jwkMember,
  alg: jwkMember,
  n: jwkMember,
  e: jwkMember,
  crv: jwkMember,
  x: jwkMember,
  y: jwkMember,
  x5c: z.array(z.string().max(8192)).max(10).optional(),
  "x5t#S256": jwkMember,
  d: z.never({ error: "jwks must hold public keys only" }).optional(),
});

/** A JWK Set (RFC 7517 §5) of public keys. */
export const PublicJwksSchema = z.object({ keys: z.array(PublicJwkSchema).min(1).max(20) });
export const SUPPORTED_SIGNING_ALGS = ["RS256", "ES256"] as const;
/** OIDC Core §10.2 key management algorithms offered, and content encryption algorithms. */
export const ENCRYPTION_ALGS = ["RSA-OAEP", "RSA-OAEP-256", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A256KW"] as const;
export const ENCRYPTION_ENCS = ["A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM"] as const;
/** RFC 9101 §6.1 / OIDC Core §6.1: request object signature algs; `none` only where JAR is not required (hardened-requests.ts). */
export const REQUEST_OBJECT_SIGNING_ALGS = ["RS256", "PS256", "ES256"] as const;
/** OIDC Core §10.1: `none` only for ID tokens that travel from the token endpoint (checked at registration). */
export const SUPPORTED_ID_TOKEN_ALGS = [...SUPPORTED_SIGNING_ALGS, "none"] as const;

const httpUrl = z.url({ protocol: /^https?$/ });

/**
 * Client metadata (RFC 7591 §2, OIDC Dynamic Client Registration §2). The single source for
 * registration input, the stored record and the cached copy. Unknown members are dropped
 * (RFC 7591 §2: the server MUST ignore metadata it does not understand), except localized
 * human-readable members (`client_name#fr`) which are kept.
 */
export const ClientMetadataSchema = z.object({
  // Required for redirect-based clients (checked with grant_types); a client_credentials-only client has none.
  redirect_uris: z.array(z.string()).max(50).default([]),
  response_types: z
    .array(
      z
        .string()
        .transform(normalizeResponseType)
        .pipe(z.enum(SUPPORTED_RESPONSE_TYPES, { error: "unsupported response_types value" })),
    )
    .default(["code"]),
  grant_types: z.array(z.enum([...SUPPORTED_GRANT_TYPES, IMPLICIT_GRANT], { error: "unsupported grant_types value" })).default(["authorization_code"]),
  application_type: z.enum(["web", "native"]).default("web"),
  token_endpoint_auth_method: z.enum(SUPPORTED_TOKEN_AUTH_METHODS, { error: "unsupported token_endpoint_auth_method" }).default("client_secret_basic"),
  client_name: z.string().max(200).optional(),
  client_uri: httpUrl.optional(),
  logo_uri: httpUrl.optional(),
  policy_uri: httpUrl.optional(),
  tos_uri: httpUrl.optional(),
  contacts: z.array(z.string().max(320)).max(20).optional(),
  scope: z.string().max(2000).optional(),
  jwks: PublicJwksSchema.optional(),
  jwks_uri: httpUrl.optional(),
  /** RFC 8705 §2.1.2: the expected subject DN (RFC 4514 string) for tls_client_auth. */
  tls_client_auth_subject_dn: z.string().min(1).max(1000).optional(),
  /** RFC 8705 §3.4: bind this client's access tokens to its certificate. */
  tls_client_certificate_bound_access_tokens: z.boolean().optional(),
  /** RFC 9449 §5.2: this client always uses DPoP: its token requests without a proof are refused. */
  dpop_bound_access_tokens: z.boolean({ error: "dpop_bound_access_tokens must be a boolean" }).optional(),
  /** RFC 8693 policy: the audiences and resources this client may exchange tokens for. */
  token_exchange_audiences: z.array(z.string().min(1).max(2000)).max(20).optional(),
  token_endpoint_auth_signing_alg: z.enum([...ASSERTION_ALGS.private_key_jwt, ...ASSERTION_ALGS.client_secret_jwt]).optional(),
  /** OIDC Core §8: pairwise needs PAIRWISE_SALT; its sector is checked at registration (op-management sector-identifier.ts). */
  subject_type: z.enum(["public", "pairwise"], { error: "unsupported subject_type" }).optional(),
  /** OIDC DCR §2 / Core §8.1: an https URL of a JSON array holding every redirect URI; its host is the sector. */
  sector_identifier_uri: httpUrl.optional(),
  /** OIDC DCR §2: where a third party may start a login at this client (https). */
  initiate_login_uri: z.url({ protocol: /^https$/, error: "initiate_login_uri must be an https URL" }).optional(),
  id_token_signed_response_alg: z.enum(SUPPORTED_ID_TOKEN_ALGS, { error: "unsupported id_token_signed_response_alg" }).default("RS256"),
  /** OIDC Core §10.2: ID tokens and userinfo encrypted to the client's jwks (enc defaults to A128CBC-HS256). */
  id_token_encrypted_response_alg: z.enum(ENCRYPTION_ALGS, { error: "unsupported id_token_encrypted_response_alg" }).optional(),
  id_token_encrypted_response_enc: z.enum(ENCRYPTION_ENCS, { error: "unsupported id_token_encrypted_response_enc" }).optional(),
  userinfo_encrypted_response_alg: z.enum(ENCRYPTION_ALGS, { error: "unsupported userinfo_encrypted_response_alg" }).optional(),
  userinfo_encrypted_response_enc: z.enum(ENCRYPTION_ENCS, { error: "unsupported userinfo_encrypted_response_enc" }).optional(),
  /** OIDC Core §5.3.2: userinfo as a signed JWT instead of JSON. */
  userinfo_signed_response_alg: z.enum(SUPPORTED_SIGNING_ALGS, { error: "unsupported userinfo_signed_response_alg" }).optional(),
  /** JARM §3: the authorization response JWT's signing alg (RS256 when absent) and optional encryption. */
  authorization_signed_response_alg: z.enum(SUPPORTED_SIGNING_ALGS, { error: "unsupported authorization_signed_response_alg" }).optional(),
  authorization_encrypted_response_alg: z.enum(ENCRYPTION_ALGS, { error: "unsupported authorization_encrypted_response_alg" }).optional(),
  authorization_encrypted_response_enc: z.enum(ENCRYPTION_ENCS, { error: "unsupported authorization_encrypted_response_enc" }).optional(),
  default_max_age: z.number().int().nonnegative().optional(),
  require_auth_time: z.boolean().optional(),
  /** An extension: whether this client's ID tokens carry its granted scopes' claims beside an access token (OIDC Core §5.4); absent, ID_TOKEN_SCOPE_CLAIMS decides. */
  id_token_scope_claims: z.boolean({ error: "id_token_scope_claims must be a boolean" }).optional(),
  default_acr_values: z.array(z.string()).optional(),
  post_logout_redirect_uris: z.array(z.string()).optional(),
  /**
   * OIDC Back-Channel Logout 1.0 §2.2: where the OP POSTs logout tokens (checked at registration
   * by the outbound fetch guard, as every URL the OP requests); with session_required, the token carries sid.
   */
  backchannel_logout_uri: z.string().max(2000).optional(),
  backchannel_logout_session_required: z.boolean().optional(),
  /** OIDC Front-Channel Logout 1.0 §2: the page the OP's logout page loads in an iframe, with iss and sid when required. */
  frontchannel_logout_uri: z.string().max(2000).optional(),
  frontchannel_logout_session_required: z.boolean().optional(),
  require_pkce: z.boolean().optional(),
  /** OIDC DCR §2: the only request_uri values (outside PAR) this client may use; https outside development. */
  request_uris: z.array(z.string().max(2000)).max(20).optional(),
  /** OIDC DCR §2: request objects from this client must use this alg. */
  request_object_signing_alg: z.enum([...REQUEST_OBJECT_SIGNING_ALGS, "none"], { error: "unsupported request_object_signing_alg" }).optional(),
  /** RFC 9126 §6: this client's authorization requests must be pushed. */
  require_pushed_authorization_requests: z.boolean().optional(),
  /** RFC 9101 §10.5: this client's authorization requests must be signed request objects. */
  require_signed_request_object: z.boolean().optional(),
  /** Per-client PAR / JAR / JARM modes (an extension; hardened-requests.ts resolves them against the server's). */
  par_mode: z.enum(HARDENING_MODES, { error: "par_mode is disabled, optional or required" }).optional(),
  jar_mode: z.enum(HARDENING_MODES, { error: "jar_mode is disabled, optional or required" }).optional(),
  jarm_mode: z.enum(HARDENING_MODES, { error: "jarm_mode is disabled, optional or required" }).optional(),
  software_id: z.string().max(200).optional(),
  software_version: z.string().max(200).optional(),
});

export type ClientMetadata = z.output<typeof ClientMetadataSchema>;

/** A registered client as every Worker sees it (no secret material). */
export const ClientSchema = ClientMetadataSchema.extend({
  client_id: z.string(),
  client_id_issued_at: z.number().int(),
  client_secret_expires_at: z.number().int().default(0),
  /** Localized variants of human-readable members, e.g. {"client_name#fr": "…"}. */
  localized: z.record(z.string(), z.string()).default({}),
});
export type Client = z.output<typeof ClientSchema>;

/**
 * A client as authentication reads it from its Durable Object: its record and, kept apart from
 * anything the client wrote, the operator's grants (null: none set, CLIENT_GRANTS_DEFAULT applies).
 */
export type AuthenticatedClient = Client & { operatorGrants: ClientGrants | null };

export const isPublicClient = (client: Pick<Client, "token_endpoint_auth_method">) => client.token_endpoint_auth_method === "none";
