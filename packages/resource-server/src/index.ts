/**
 * @op/resource-server: protect an API or MCP server on Workers with this OP's access tokens.
 * `protectedResource` is the kit; the verification functions below it stand alone (jose and
 * web APIs only) for APIs that want the checks without the kit. hono adapters: "./hono".
 */
export { protectedResource, type AuthResult, type ProtectedResource, type ProtectedResourceConfig, type RouteRequirements } from "./resource-server";
export {
  authenticateRequest,
  checkRequirements,
  readCredentials,
  verifyAccessToken,
  verifyBinding,
  type AccessTokenClaims,
  type ActorClaim,
  type AuthenticateRequestOptions,
  type Binding,
  type BindingOptions,
  type Confirmation,
  type Credentials,
  type DpopSettings,
  type Requirements,
  type VerifiedToken,
  type VerifyAccessTokenOptions,
} from "./verify";
export {
  ASYMMETRIC_ALGS,
  MemoryReplayCache,
  normalizeHtu,
  verifyDpopProof,
  type AsymmetricAlg,
  type DpopNonceHook,
  type DpopProof,
  type DpopProofCheck,
  type ReplayCache,
} from "./dpop";
export { DEV_CLIENT_CERT_HEADER, presentedCertificateThumbprint, thumbprintOf, type TlsClientAuth } from "./mtls";
export { clearJwksCache, remoteJwks, type KeyResolver, type RemoteJwksOptions } from "./jwks";
export { authorizationServerMetadataUrl, protectedResourceMetadataUrl, PROTECTED_RESOURCE_WELL_KNOWN, type ProtectedResourceMetadata } from "./metadata";
export { challengeResponse, wwwAuthenticate, type ChallengeContext } from "./challenge";
export { AuthError, UpstreamError, type AuthErrorCode, type AuthErrorDetails } from "./errors";
export type { FetchLike } from "./remote";
export { sha256Base64url as accessTokenHash } from "./encoding";
