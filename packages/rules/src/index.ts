export { assertionLifetimeRefusal } from "./assertion";
export {
  checkNonce,
  checkResponseType,
  effectiveMaxAge,
  parseAuthorizationParams,
  parseClaimsParameter,
  parseDisplay,
  parsePrompt,
  rejectRegistrationParameter,
  spaceSeparated,
} from "./authorization-request";
export {
  consentableClaims,
  idTokenCarriesScopeClaims,
  PROTOCOL_CLAIMS,
  releaseClaims,
  requestedClaimNames,
  SCOPE_CLAIMS,
  SUPPORTED_CLAIMS,
  SUPPORTED_SCOPES,
} from "./claims";
export {
  acceptedNonceSteps,
  athRefusal,
  type DpopNoncePolicy,
  dpopAlgRefusal,
  dpopClaimsRefusal,
  dpopIatRefusal,
  dpopJktRefusal,
  dpopJwkRefusal,
  dpopReplayExpiry,
  dpopRequiredRefusal,
  dpopTokenType,
  htuMatches,
  isJwkThumbprint,
  nonceRequired,
  nonceStep,
  normalizeHtu,
  pushedDpopJkt,
  refreshBindingRefusal,
  refreshTokenJkt,
  sameDpopKey,
} from "./dpop";
export {
  type AddressRange,
  documentLifetime,
  FETCHABLE_URL_RULE,
  fetchRefusal,
  GLOBAL_UNICAST_IPV6,
  hostRefusal,
  isLoopbackHost,
  localOnlyName,
  parseIPv4,
  parseIPv6,
  SPECIAL_IPV4_RANGES,
  SPECIAL_IPV6_RANGES,
  specialIPv4Range,
  specialIPv6Range,
} from "./fetch-guard";
export { type Arrival, clientMode, conflictingClientMode, effectiveMode, enforceHardening, type HardenedFeature, isEnabled, isRequired } from "./hardening";
export {
  BACKCHANNEL_LOGOUT_EVENT,
  BACKCHANNEL_RETRY_DELAYS_MS,
  type BackchannelAnswer,
  type BackchannelOutcome,
  backchannelOutcome,
  backchannelRetryDelay,
  frontchannelLogoutUrl,
  initiateLoginUrl,
  type LogoutHints,
  type LogoutTokenInput,
  logoutNeedsConfirmation,
  logoutTokenClaims,
  rpOrigin,
  sessionState,
} from "./logout";
export { enabledTokenAuthMethods, providerMetadata } from "./metadata";
export { checkCodeChallenge, PKCE_VALUE, pkceRefusal, pkceRequired, s256Of } from "./pkce";
export { isRegisteredRedirectUri, loopbackMatches, redirectUriRefusal, resolveRedirectUri } from "./redirect-uri";
export { wantsRefreshToken } from "./refresh-policy";
export {
  checkAlg,
  checkIssuerAndAudience,
  checkLimits,
  checkSize,
  checkTimes,
  decodeJson,
  headerAlg,
  headerKid,
  type JsonObject,
  jtiRememberedUntil,
  jtiToClaim,
  MAX_CLAIMS,
  MAX_VALUE_LENGTH,
  mergeRequiredOutsideParameters,
  parseJson,
  toAuthorizationParams,
} from "./request-object";
export { narrowResources, parseResources, resourceNotGranted } from "./resource";
export {
  accessTokenLifetime,
  checkExchangeTargets,
  clientTokenScope,
  effectiveGrants,
  exchangedScope,
  grantsProblem,
  mergeRegistry,
  type Registry,
  registeredTargets,
  resourceById,
  resourceByIdentifier,
  resourceProblem,
  resourceScopes,
  resourcesForConsent,
  resourcesServedBy,
  servesAudience,
  stillRegistered,
  type Target,
} from "./resources";
export { defaultResponseMode, jwtResponseMode, type ResponseModeRequest, responseModeFor, returnsTokens } from "./response-mode";
export { grantableScopes, narrowScope, offlineAccessAllowed, scopesOf } from "./scope";
export { type SubjectClient, sectorIdentifier, subjectFor } from "./subject";
export { DEVICE_POLL_INTERVAL, formatUserCode, newUserCode, normalizeUserCode, parseDeviceCode, USER_CODE_ALPHABET } from "./user-code";
