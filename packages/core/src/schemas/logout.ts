import { z } from "zod";

/**
 * What ended a session, for the operator's record: the end-session endpoint (RP-initiated or
 * the user), sign-out-everywhere from the account pages, the admin API, a deprovisioned account.
 */
export const LOGOUT_REASONS = ["end_session", "sign_out_everywhere", "admin", "deprovisioned"] as const;
export type LogoutReason = (typeof LOGOUT_REASONS)[number];

/** A session that ended: whom the relying parties are told about (OIDC Back-Channel Logout §2.4 sub and sid). */
export const LogoutEventSchema = z.object({
  /** The account id; each client's logout token carries the `sub` that client sees. */
  sub: z.string(),
  sid: z.string(),
  endedAt: z.number().int(),
  reason: z.enum(LOGOUT_REASONS),
  /** Every client the session served (front-channel, back-channel or neither). */
  clients: z.array(z.string()),
  /** The grants started in the session; those without offline_access are revoked (OIDC Back-Channel Logout §2.7). */
  grants: z.array(z.string()).default([]),
});
export type LogoutEvent = z.output<typeof LogoutEventSchema>;

/** Where one back-channel notification of a logout stands (LogoutDelivery object). */
export const BACKCHANNEL_STATUSES = ["pending", "delivered", "failed"] as const;

export const BackchannelDeliverySchema = z.object({
  clientId: z.string(),
  /** The backchannel_logout_uri as registered when the logout began. */
  uri: z.string(),
  status: z.enum(BACKCHANNEL_STATUSES),
  attempts: z.number().int().nonnegative(),
  /** What the last attempt got: an HTTP status ("503"), or why none ("timeout", "unreachable", "refused by the fetch guard"). */
  lastResult: z.string().optional(),
  lastAttemptAt: z.number().int().optional(),
  deliveredAt: z.number().int().optional(),
  /** When the next attempt is due (pending only). */
  nextAttemptAt: z.number().int().optional(),
});
export type BackchannelDelivery = z.output<typeof BackchannelDeliverySchema>;

/** A logout as the operator sees it (GET /admin/logouts/:sid): the event and every back-channel delivery. */
export const LogoutRecordSchema = LogoutEventSchema.extend({ deliveries: z.array(BackchannelDeliverySchema) });
export type LogoutRecord = z.output<typeof LogoutRecordSchema>;

const optionalString = (max: number) => z.string().max(max).optional();

/**
 * OIDC RP-Initiated Logout §2 end-session request parameters, from the query or the form. Types
 * and bounds only; what they mean is decided by the logout endpoint (op-auth logout/).
 */
export const EndSessionParamsSchema = z.object({
  id_token_hint: optionalString(16_000),
  logout_hint: optionalString(320),
  client_id: optionalString(200),
  post_logout_redirect_uri: optionalString(2000),
  state: optionalString(2000),
  ui_locales: optionalString(200),
});
export type EndSessionParams = z.output<typeof EndSessionParamsSchema>;

/** A live session as the account and the operator see it, never its cookie secret (GET /admin/users/:sub/sessions). */
export const SessionSummarySchema = z.object({
  sid: z.string(),
  authTime: z.number().int(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** The clients the session served (OIDC Back-Channel Logout §2.3: the OP remembers them). */
  clients: z.array(z.string()),
});
export type SessionSummary = z.output<typeof SessionSummarySchema>;

/** An account id as the admin API takes it in a path: 64 hex digits (the UserAccount object's id). */
export const AccountIdSchema = z.string().regex(/^[0-9a-f]{64}$/, "an account id is 64 hexadecimal digits");
/** A session id (`sid`) as the admin API takes it in a path. */
export const SessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a sid is base64url");

/** GET /admin/users/:sub/sessions */
export const AccountSessionsResponseSchema = z.object({ sub: z.string(), sessions: z.array(SessionSummarySchema) });

/** DELETE /admin/users/:sub/sessions: what ended, and each logout's deliveries as they stood when the answer was sent. */
export const SignOutEverywhereResponseSchema = z.object({
  sub: z.string(),
  ended: z.array(z.object({ sid: z.string(), clients: z.array(z.string()), logout: LogoutRecordSchema.nullable() })),
});
