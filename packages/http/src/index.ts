export { authenticateClient, JWT_BEARER_ASSERTION_TYPE, SIGNED_JWT_FAILURES, type SignedJwtFailure, verifyClientSignedJwt } from "./client-auth";
export { type ClientCertificate, certificateThumbprint, DEV_CLIENT_CERT_HEADER, presentedClientCertificate } from "./client-certificate";
export {
  bearerToken,
  discardBody,
  drainUnreadBody,
  errorResponse,
  json,
  methodNotAllowed,
  NO_STORE,
  notFound,
  paramsOf,
  type ReadParams,
  readForm,
  readLimitedText,
  rejectDuplicates,
} from "./http";
export { answered, MAX_REQUEST_BYTES, REQUEST_ID_HEADER, requestIdOf, serve } from "./serve";
