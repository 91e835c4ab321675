export { clientAddress, ipv6Prefix64 } from "./client-address";
export { JWT_BEARER_ASSERTION_TYPE, SIGNED_JWT_FAILURES, authenticateClient, verifyClientSignedJwt, type SignedJwtFailure } from "./client-auth";
export { DEV_CLIENT_CERT_HEADER, certificateThumbprint, presentedClientCertificate, type ClientCertificate } from "./client-certificate";
export { challengeFor, errorHandler, errorJson, logError, type ErrorRenderers, type ErrorSurface } from "./errors";
export { MAX_FORM_BYTES, bearerToken, discardBody, paramsOf, readForm, readLimitedText, rejectDuplicates, type ReadParams } from "./form";
export { MAX_REQUEST_BYTES, REQUEST_ID_HEADER, accessLog, bearerChallenges, clientAuthenticatedRequest, clientAuthentication, countsAgainstAddress, errorsAs, formBody, limitPerAddress, limitPerClient, onlyMethods, opApp, provedPossession, requestIdOf, setHeader, type OpContext, type OpEnv, type OpVariables } from "./pipeline";
export { NO_STORE, json } from "./responses";
