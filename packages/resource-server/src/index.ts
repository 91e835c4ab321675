/**
 * @op/resource-server: protect an API or MCP server on Workers with this OP's access tokens.
 * `protectedResource` is the kit; the verification functions below it stand alone (jose and
 * web APIs only) for APIs that want the checks without the kit. hono adapters: "./hono".
 */

export { type ChallengeContext, challengeResponse, wwwAuthenticate } from "./challenge";
export {
  ASYMMETRIC_ALGS,
  type AsymmetricAlg,
  DEFAULT_DPOP_ALGS,
  type DpopNonceHook,
  type DpopProof,
  type DpopProofCheck,
  hmacNonces,
  MemoryReplayCache,
  normalizeHtu,
  type ReplayCache,
  verifyDpopProof,
} from "./dpop";
export { sha256Base64url as accessTokenHash } from "./encoding";
export { AuthError, type AuthErrorCode, type AuthErrorDetails, UpstreamError } from "./errors";
export { clearJwksCache, type KeyResolver, type RemoteJwksOptions, remoteJwks } from "./jwks";
export { authorizationServerMetadataUrl, PROTECTED_RESOURCE_WELL_KNOWN, type ProtectedResourceMetadata, protectedResourceMetadataUrl } from "./metadata";
export { DEV_CLIENT_CERT_HEADER, presentedCertificateThumbprint, type TlsClientAuth, thumbprintOf } from "./mtls";
export type { FetchLike } from "./remote";
export { type AuthResult, type ProtectedResource, type ProtectedResourceConfig, protectedResource, type RouteRequirements } from "./resource-server";
export {
  type AccessTokenClaims,
  type ActorClaim,
  type AuthenticateRequestOptions,
  authenticateRequest,
  type Binding,
  type BindingOptions,
  type Confirmation,
  type Credentials,
  checkRequirements,
  type DpopSettings,
  type Requirements,
  readCredentials,
  type VerifiedToken,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
  verifyBinding,
} from "./verify";
