export { ACR_PASSWORD, AMR_PASSWORD } from "./authentication";
export { type Config, ConfigSchema, getConfig, HARDENING_MODES, type HardeningMode, type SigningAlg, signedArtifactMaxLifetime } from "./config";
export { base64url, fromBase64url, hashSecret, randomToken, sha256, sha256b64url, timingSafeEqual, verifySecret } from "./crypto";
export {
  invalidClientMetadata,
  invalidGrant,
  invalidRedirectUri,
  invalidRequest,
  invalidScope,
  OAUTH_ERROR_CODES,
  OAuthError,
  type OAuthErrorCode,
  unauthorizedClient,
} from "./errors";
export { DocumentFetchError, type DocumentFetchOptions, fetchBoundedDocument } from "./fetch-document";
export { hashPassword, needsRehash, verifyPassword } from "./password";
export { PATHS, type WorkerName, workerFor } from "./routes";
export {
  type AuthorizationParams,
  AuthorizationParamsSchema,
  type DeliveredResponseMode,
  type InteractionRecord,
  InteractionRecordSchema,
  isJwtResponseMode,
  isResponseMode,
  JWT_RESPONSE_MODES,
  PLAIN_RESPONSE_MODES,
  RESPONSE_MODES,
  type ResponseMode,
  type ValidatedAuthorizationRequest,
  ValidatedAuthorizationRequestSchema,
} from "./schemas/authorization";
export { AddressSchema, type ClaimRequest, type ClaimsRequest, ClaimsRequestSchema, type StandardClaims, StandardClaimsSchema } from "./schemas/claims";
export {
  ASSERTION_ALGS,
  type Client,
  type ClientMetadata,
  ClientMetadataSchema,
  ClientSchema,
  ENCRYPTION_ALGS,
  ENCRYPTION_ENCS,
  IMPLICIT_GRANT,
  isPublicClient,
  normalizeResponseType,
  PublicJwkSchema,
  PublicJwksSchema,
  REQUEST_OBJECT_SIGNING_ALGS,
  type ResponseType,
  SECRET_AUTH_METHODS,
  SUPPORTED_GRANT_TYPES,
  SUPPORTED_ID_TOKEN_ALGS,
  SUPPORTED_RESPONSE_TYPES,
  SUPPORTED_SIGNING_ALGS,
  SUPPORTED_TOKEN_AUTH_METHODS,
  TLS_AUTH_METHODS,
  type TokenAuthMethod,
  usesClientSecret,
} from "./schemas/client";
export {
  DEVICE_CODE_GRANT_TYPE,
  type DeviceAuthorizationParams,
  DeviceAuthorizationParamsSchema,
  type DeviceAuthorizationRecord,
  DeviceAuthorizationRecordSchema,
} from "./schemas/device";
export {
  type Authentication,
  AuthenticationSchema,
  type AuthorizationCodeRecord,
  AuthorizationCodeRecordSchema,
  type GrantedAuthorization,
  GrantedAuthorizationSchema,
  type GrantRecord,
  GrantRecordSchema,
  isUserGrant,
  type SessionRecord,
  SessionRecordSchema,
} from "./schemas/records";
export { openSecret, sealSecret } from "./secret-box";
