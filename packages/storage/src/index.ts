export {
  type ClientDocumentKind,
  type ClientDocuments,
  clientDocuments,
  DocumentUnavailable,
  FETCH_TIMEOUT_MS,
  type FetchOptions,
  type PostResult,
  postToClient,
} from "./client-documents";
export {
  CACHED_CLIENT_ISOLATE_MS,
  CACHED_CLIENT_MAX_STALENESS_S,
  CLIENT_KV_EDGE_TTL_S,
  cacheClient,
  cachedClient,
  freshClient,
  uncacheClient,
} from "./clients";
export { BrowserSession, sessionById, sessionObject } from "./durable-objects/browser-session";
export { ClientRegistration, clientObject, isPlausibleClientId, MAX_CLIENT_ID_BYTES } from "./durable-objects/client-registration";
export { type DeliveredMail, DevMailbox, devMailbox, MAILBOX_MAX_MESSAGES } from "./durable-objects/dev-mailbox";
export { DeviceAuthorization, type DevicePollResult, deviceAuthorizationObject, type PendingDeviceAuthorization } from "./durable-objects/device-authorization";
export {
  type CodeRedemption,
  clientCredentialsGrantId,
  Grant,
  grantIdOfCode,
  grantObject,
  parseRefreshToken,
  type RedeemCodeResult,
  type RotateResult,
} from "./durable-objects/grant";
export { Interaction, interactionObject } from "./durable-objects/interaction";
export {
  createKeysTable,
  KEY_ACTIVATION_DELAY_MS,
  KeyStore,
  keyStore,
  type PublicEncryptionJwk,
  type PublicJwk,
  type SigningKey,
  signingKeyAt,
} from "./durable-objects/key-store";
export { LOGOUT_RECORD_RETENTION_MS, LogoutDeliveryObject, logoutDeliveryObject } from "./durable-objects/logout-delivery";
export {
  newPushedRequestUri,
  PAR_REQUEST_URI_PREFIX,
  PushedAuthorizationRequest,
  type PushedAuthorizationRequestRecord,
  PushedAuthorizationRequestRecordSchema,
  type PushedRequestResult,
  pushedRequestObject,
  pushedRequestReference,
} from "./durable-objects/pushed-authorization-request";
export { backoffSeconds, LOGIN_WAIT_MS, type LockoutPolicy, RateLimiter, type Refusal } from "./durable-objects/rate-limiter";
export { claimJti, ReplayGuard, type ReplayPurpose } from "./durable-objects/replay-guard";
export { DEFAULT_REALM, MAX_REGISTRY_BYTES, type RegistryWriteResult, ResourceRegistry, resourceRegistryObject } from "./durable-objects/resource-registry";
export {
  type AccountSession,
  type ConsentRecord,
  type NewUser,
  NewUserSchema,
  normalizeUsername,
  UserAccount,
  type UserProfile,
  userBySub,
  userByUsername,
} from "./durable-objects/user-account";
export type { Env } from "./env";
export { type MailMessage, type MailSender, type MailTransport, mimeMessage } from "./mail/message";
export { type SendEmailBinding, sendEmailTransport } from "./mail/send-email";
export { mailTransport, sendMail } from "./mail/transport";
export { webhookSignature, webhookTransport } from "./mail/webhook";
export {
  beginLoginAttempt,
  countProven,
  enforceRateLimit,
  type LimitedAction,
  type LoginAttempt,
  loginFailed,
  loginStreak,
  loginSucceeded,
  type RateLimitTicket,
  refundRateLimit,
  refuseIfSpent,
} from "./rate-limits";
export { forgetResourceRegistry, resourceRegistry } from "./resources";
export { DEV_USERS } from "./seeds";
export {
  type EndedSession,
  endBrowserSession,
  endSessionsOf,
  logoutRecord,
  noticesWithin,
  sessionsOf,
  startBrowserSession,
} from "./sessions";
