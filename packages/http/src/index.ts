export { clientAddress, ipv6Prefix64 } from "./client-address";
export { authenticateClient, JWT_BEARER_ASSERTION_TYPE, SIGNED_JWT_FAILURES, type SignedJwtFailure, verifyClientSignedJwt } from "./client-auth";
export { type ClientCertificate, certificateThumbprint, DEV_CLIENT_CERT_HEADER, presentedClientCertificate } from "./client-certificate";
export { apiCors, CORS_REQUEST_HEADERS } from "./cors";
export { type DpopEndpoint, dpopNonces, dpopProof, verifyDpopBinding, verifyRequestProof } from "./dpop";
export { challengeFor, type ErrorRenderers, type ErrorSurface, errorHandler, errorJson, logError, type RouteChallenge } from "./errors";
export { bearerToken, discardBody, MAX_FORM_BYTES, paramsOf, type ReadParams, readForm, readLimitedText, rejectDuplicates } from "./form";
export {
  accessLog,
  bearerChallenges,
  clientAuthenticatedRequest,
  clientAuthentication,
  countsAgainstAddress,
  errorsAs,
  formBody,
  limitPerAddress,
  limitPerClient,
  MAX_REQUEST_BYTES,
  type OpContext,
  type OpEnv,
  type OpVariables,
  onlyMethods,
  opApp,
  provedPossession,
  REQUEST_ID_HEADER,
  requestIdOf,
  setHeader,
} from "./pipeline";
export { json, NO_STORE } from "./responses";
