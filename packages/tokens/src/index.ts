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
export { clientJwksDocument, clientJwksFromUri, clientVerificationKeys, warnIfClientKeysUnavailable } from "./client-keys";
export { clientEncryptionKey, encryptForClient } from "./encryption";
export { type IdTokenInput, issueIdToken } from "./id-token";
export { audiencesOf, halfHash, joseErrors, nowSeconds, signingKey, signJwt, verifyIdTokenHint, verifyOwnJwt } from "./keys";
export { issueLogoutToken, LOGOUT_TOKEN_TYP } from "./logout-token";
