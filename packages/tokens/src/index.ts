export {
  ACCESS_TOKEN_ALG,
  ACCESS_TOKEN_TYP,
  type AccessTokenClaims,
  type AccessTokenInput,
  type ActorClaim,
  accessTokenAudience,
  issueAccessToken,
  userinfoAudience,
  verifyAccessToken,
} from "./access-token";
export { clientJwksDocument, clientVerificationKeys, warnIfClientKeysUnavailable } from "./client-keys";
export { clientEncryptionKey, encryptForClient } from "./encryption";
export { type IdTokenInput, issueIdToken } from "./id-token";
export {
  carriesAuthorizationRequest,
  checkJwtRole,
  JWT_ROLES,
  type JwtRole,
  type JwtRoleSpec,
  jwtRoleRefusal,
  marksClientAssertion,
  marksDpopProof,
  marksIdToken,
  marksIntrospectionResponse,
  marksJarmResponse,
  marksLogoutToken,
  marksRequestObject,
  missingClaims,
  normalizedTyp,
  rolesMarkedByClaims,
  typedRole,
} from "./jwt-roles";
export { audiencesOf, halfHash, joseErrors, nowSeconds, signingKey, signJwt, verifyIdTokenHint, verifyOwnJwt } from "./keys";
export { issueLogoutToken, LOGOUT_TOKEN_TYP } from "./logout-token";
