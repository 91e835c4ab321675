import { z } from "zod";
import { ClaimsRequestSchema } from "./claims";
import { SUPPORTED_RESPONSE_TYPES } from "./client";

/**
 * Stored records. Each is owned by one Durable Object class; later capabilities' fields
 * slot in here.
 */

/** Who authenticated, and how (OIDC Core §2 auth_time/acr/amr). */
export const AuthenticationSchema = z.object({
  sub: z.string(),
  authTime: z.number().int(),
  acr: z.string(),
  amr: z.array(z.string()),
  /** Public session id (`sid` claim, OIDC Front/Back-Channel Logout); never the cookie value. */
  sid: z.string(),
});
export type Authentication = z.output<typeof AuthenticationSchema>;

/** What the user granted to the client: the common part of codes, grants and tokens. */
export const GrantedAuthorizationSchema = AuthenticationSchema.extend({
  clientId: z.string(),
  scope: z.string(),
  claims: ClaimsRequestSchema.optional(),
  nonce: z.string().optional(),
  /** Whether the ID token must carry auth_time (max_age requested or require_auth_time). */
  authTimeRequired: z.boolean().default(false),
  /** RFC 8707 resource indicators the tokens are restricted to (empty: this OP's userinfo). */
  resources: z.array(z.string()).default([]),
});
export type GrantedAuthorization = z.output<typeof GrantedAuthorizationSchema>;

export const AuthorizationCodeRecordSchema = GrantedAuthorizationSchema.extend({
  grantId: z.string(),
  /** The response type that issued the code: a hybrid one already delivered some tokens. */
  responseType: z.enum(SUPPORTED_RESPONSE_TYPES).default("code"),
  /** Where the code was sent: the request's redirect_uri, or the single registered one when it omitted it. */
  redirectUri: z.string(),
  /**
   * Whether the authorization request carried redirect_uri (RFC 6749 §4.1.3: then the token
   * request must repeat it). True for codes stored before the field existed, as all of them did.
   */
  redirectUriSent: z.boolean().default(true),
  codeChallenge: z.string().optional(),
  codeChallengeMethod: z.enum(["S256", "plain"]).optional(),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  /** RFC 9449 §10: the DPoP key the authorization request named (dpop_jkt): the code is redeemed only with a proof by it. */
  dpopJkt: z.string().optional(),
});
export type AuthorizationCodeRecord = z.output<typeof AuthorizationCodeRecordSchema>;
/** What the authorization side stores (defaults fill the rest). */
export type AuthorizationCodeRecordInput = z.input<typeof AuthorizationCodeRecordSchema>;

/**
 * A grant: everything issued from one authorization (a code, a device code) or, for
 * client_credentials, one token response, where the subject is the client and nobody logged in.
 */
export const GrantRecordSchema = GrantedAuthorizationSchema.partial({ authTime: true, acr: true, amr: true, sid: true }).extend({
  grantId: z.string(),
  /** RFC 9449 §5: the DPoP key (RFC 7638 thumbprint) the family's refresh tokens are bound to: a public client's, under DPoP. */
  refreshJkt: z.string().optional(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  offline: z.boolean(),
});
export type GrantRecord = z.output<typeof GrantRecordSchema>;

/** A grant a user authorized (as opposed to a client acting for itself). */
export const isUserGrant = (g: GrantRecord): g is GrantRecord & GrantedAuthorization => g.sid !== undefined && g.authTime !== undefined;

export const SessionRecordSchema = AuthenticationSchema.extend({
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** Clients that received tokens in this session (for logout propagation). */
  clients: z.array(z.string()).default([]),
  /**
   * Grants started in this session (codes, hybrid and implicit responses, device approvals), so
   * that logout revokes those without offline_access (OIDC Back-Channel Logout §2.7).
   */
  grants: z.array(z.string()).default([]),
  /** OIDC Session Management §3: the OP browser state this session's session_state values hash; the browser-state cookie holds it. */
  browserState: z.string().optional(),
});
export type SessionRecord = z.output<typeof SessionRecordSchema>;
