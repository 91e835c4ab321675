import { z } from "zod";
import { ClaimsRequestSchema } from "./claims";

/**
 * Stored records. Each is owned by one Durable Object class; the fields reserved for later
 * capabilities (DPoP key thumbprint, JARM, resource indicators) slot in here.
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
});
export type GrantedAuthorization = z.output<typeof GrantedAuthorizationSchema>;

export const AuthorizationCodeRecordSchema = GrantedAuthorizationSchema.extend({
  grantId: z.string(),
  redirectUri: z.string(),
  codeChallenge: z.string().optional(),
  codeChallengeMethod: z.enum(["S256", "plain"]).optional(),
  issuedAt: z.number().int(),
  expiresAt: z.number().int(),
  /** RFC 9449 §10: reserved for the DPoP key thumbprint binding (dpop_jkt). */
  dpopJkt: z.string().optional(),
});
export type AuthorizationCodeRecord = z.output<typeof AuthorizationCodeRecordSchema>;

export const GrantRecordSchema = GrantedAuthorizationSchema.extend({
  grantId: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  offline: z.boolean(),
});
export type GrantRecord = z.output<typeof GrantRecordSchema>;

export const SessionRecordSchema = AuthenticationSchema.extend({
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** Clients that received tokens in this session (for logout propagation). */
  clients: z.array(z.string()).default([]),
});
export type SessionRecord = z.output<typeof SessionRecordSchema>;
