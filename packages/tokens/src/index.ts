export { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYP, accessTokenAudience, issueAccessToken, userinfoAudience, verifyAccessToken, type AccessTokenClaims, type AccessTokenInput, type ActorClaim } from "./access-token";
export { clientJwksDocument, clientJwksFromUri, clientVerificationKeys, warnIfClientKeysUnavailable } from "./client-keys";
export { clientEncryptionKey, encryptForClient } from "./encryption";
export { issueIdToken, type IdTokenInput } from "./id-token";
export { audiencesOf, halfHash, joseErrors, nowSeconds, signJwt, signingKey, verifyIdTokenHint, verifyOwnJwt } from "./keys";
