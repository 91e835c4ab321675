import { z } from "zod";
import { ClaimsRequestSchema } from "./claims";
import { SUPPORTED_RESPONSE_TYPES } from "./client";

/** Response modes: query and fragment (Multiple Response Types §2.1), form_post (Form Post Response Mode). */
export const PLAIN_RESPONSE_MODES = ["query", "fragment", "form_post"] as const;
/** JARM §2.3: the same transports carrying one signed (optionally encrypted) `response` JWT; `jwt` picks the transport (§2.3.4). */
export const JWT_RESPONSE_MODES = ["query.jwt", "fragment.jwt", "form_post.jwt", "jwt"] as const;
export const RESPONSE_MODES = [...PLAIN_RESPONSE_MODES, ...JWT_RESPONSE_MODES] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];
/** A mode a response is actually delivered in: `jwt` is resolved to its transport first. */
export type DeliveredResponseMode = Exclude<ResponseMode, "jwt">;
export const isResponseMode = (value: string | undefined): value is ResponseMode => (RESPONSE_MODES as readonly string[]).includes(value ?? "");
export const isJwtResponseMode = (mode: ResponseMode): boolean => (JWT_RESPONSE_MODES as readonly string[]).includes(mode);

const optionalString = (max: number) => z.string().max(max).optional();

/**
 * Authorization request parameters (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 7636 §4.3) after
 * the raw form has been read. Types only: the protocol checks are the authorize steps.
 */
export const AuthorizationParamsSchema = z.object({
  client_id: z.string().min(1).max(200),
  redirect_uri: optionalString(2000),
  response_type: optionalString(100),
  response_mode: optionalString(50),
  scope: optionalString(2000),
  state: optionalString(2000),
  nonce: optionalString(500),
  prompt: optionalString(100),
  max_age: z
    .string()
    .regex(/^\d{1,10}$/, "max_age must be a non-negative integer")
    .transform(Number)
    .optional(),
  id_token_hint: optionalString(8000),
  login_hint: optionalString(500),
  claims: optionalString(8000),
  code_challenge: optionalString(200),
  code_challenge_method: optionalString(20),
  display: optionalString(20),
  ui_locales: optionalString(200),
  claims_locales: optionalString(200),
  acr_values: optionalString(500),
  request: optionalString(20000),
  request_uri: optionalString(2000),
  registration: optionalString(20000),
  /** RFC 9449 §10: the thumbprint of the DPoP key the code is bound to. */
  dpop_jkt: optionalString(100),
});
export type AuthorizationParams = z.output<typeof AuthorizationParamsSchema>;

/** The validated request an Interaction carries from /authorize through login and consent. */
export const ValidatedAuthorizationRequestSchema = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  /** RFC 6749 §4.1.3: the request named its redirect_uri, so the token request must repeat it. */
  redirectUriSent: z.boolean().default(true),
  responseType: z.enum(SUPPORTED_RESPONSE_TYPES),
  responseMode: z.enum(RESPONSE_MODES).exclude(["jwt"]),
  scopes: z.array(z.string()),
  state: z.string().optional(),
  nonce: z.string().optional(),
  prompt: z.array(z.enum(["none", "login", "consent", "select_account"])),
  maxAge: z.number().int().nonnegative().optional(),
  idTokenHintSub: z.string().optional(),
  loginHint: z.string().optional(),
  claims: ClaimsRequestSchema.optional(),
  codeChallenge: z.string().optional(),
  codeChallengeMethod: z.enum(["S256", "plain"]).optional(),
  acrValues: z.array(z.string()).optional(),
  uiLocales: z.array(z.string()).optional(),
  display: z.enum(["page", "popup", "touch", "wap"]).optional(),
  /** RFC 8707 resource indicators. */
  resources: z.array(z.string()).default([]),
  /** RFC 9449 §10: the DPoP key (RFC 7638 thumbprint) the code may only be redeemed with. */
  dpopJkt: z.string().optional(),
});
export type ValidatedAuthorizationRequest = z.output<typeof ValidatedAuthorizationRequestSchema>;

export const InteractionRecordSchema = z.object({
  uid: z.string(),
  request: ValidatedAuthorizationRequestSchema,
  /** SHA-256 of the browser-binding secret held in the interaction cookie. */
  browserHash: z.string(),
  csrfToken: z.string(),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** The session a login within this interaction started (so prompt=login / max_age=0 are met by it, not by another tab's). */
  loggedInSid: z.string().optional(),
  /** The user who approved consent within this interaction (a different user finishing it is asked again). */
  consentedBy: z.string().optional(),
});
export type InteractionRecord = z.output<typeof InteractionRecordSchema>;
