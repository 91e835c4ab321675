export { grantableScopes, releaseClaims, requestedClaimNames, SCOPE_CLAIMS, SUPPORTED_CLAIMS, SUPPORTED_SCOPES } from "./claims";
export { isInternalHost } from "./fetch-guard";
export { type Arrival, clientMode, conflictingClientMode, effectiveMode, enforceHardening, type HardenedFeature, isEnabled, isRequired } from "./hardening";
export { enabledTokenAuthMethods, metadataFor, providerMetadata } from "./metadata";
export { PKCE_VALUE, pkceRefusal, s256Of } from "./pkce";
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
  parseJson,
  toAuthorizationParams,
} from "./request-object";
export { narrowResources, parseResources } from "./resource";
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
  type Target,
} from "./resources";
export { type SubjectClient, sectorIdentifier, subjectFor } from "./subject";
