import {
  ACR_PASSWORD,
  ASSERTION_ALGS,
  type Config,
  ENCRYPTION_ALGS,
  ENCRYPTION_ENCS,
  IMPLICIT_GRANT,
  PATHS,
  PLAIN_RESPONSE_MODES,
  REQUEST_OBJECT_SIGNING_ALGS,
  RESPONSE_MODES,
  SUPPORTED_GRANT_TYPES,
  SUPPORTED_ID_TOKEN_ALGS,
  SUPPORTED_RESPONSE_TYPES,
  SUPPORTED_SIGNING_ALGS,
  SUPPORTED_TOKEN_AUTH_METHODS,
  TLS_AUTH_METHODS,
  type TokenAuthMethod,
} from "@op/core";
import { SUPPORTED_CLAIMS, SUPPORTED_SCOPES } from "./claims";

/**
 * OIDC Discovery 1.0 §3 / RFC 8414 §2 metadata, derived from the configuration and the
 * capability lists the endpoints themselves use, so it lists exactly what is enabled.
 */
export function providerMetadata(config: Config) {
  const url = (p: string) => `${config.issuer}${p}`;
  return {
    issuer: config.issuer,
    authorization_endpoint: url(PATHS.authorization),
    token_endpoint: url(PATHS.token),
    userinfo_endpoint: url(PATHS.userinfo),
    jwks_uri: url(PATHS.jwks),
    ...(config.registration !== "disabled" ? { registration_endpoint: url(PATHS.registration) } : {}),
    // OIDC RP-Initiated Logout §2.1, Session Management §3.3, Front-Channel Logout §3, Back-Channel Logout §2.1.
    end_session_endpoint: url(PATHS.endSession),
    check_session_iframe: url(PATHS.checkSession),
    frontchannel_logout_supported: true,
    frontchannel_logout_session_supported: true,
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    introspection_endpoint: url(PATHS.introspection),
    revocation_endpoint: url(PATHS.revocation),
    device_authorization_endpoint: url(PATHS.deviceAuthorization),
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: [...SUPPORTED_RESPONSE_TYPES],
    // JARM §3: the *.jwt modes and their algorithms only while JARM is on.
    response_modes_supported: config.hardening.jarm === "disabled" ? [...PLAIN_RESPONSE_MODES] : [...RESPONSE_MODES],
    ...(config.hardening.jarm !== "disabled"
      ? {
          authorization_signing_alg_values_supported: [...SUPPORTED_SIGNING_ALGS],
          authorization_encryption_alg_values_supported: [...ENCRYPTION_ALGS],
          authorization_encryption_enc_values_supported: [...ENCRYPTION_ENCS],
        }
      : {}),
    grant_types_supported: [...SUPPORTED_GRANT_TYPES, IMPLICIT_GRANT],
    // OIDC Core §8: pairwise only where a PAIRWISE_SALT keys it.
    subject_types_supported: config.pairwiseSalt ? ["public", "pairwise"] : ["public"],
    id_token_signing_alg_values_supported: [...SUPPORTED_ID_TOKEN_ALGS],
    userinfo_signing_alg_values_supported: [...SUPPORTED_SIGNING_ALGS],
    id_token_encryption_alg_values_supported: [...ENCRYPTION_ALGS],
    id_token_encryption_enc_values_supported: [...ENCRYPTION_ENCS],
    userinfo_encryption_alg_values_supported: [...ENCRYPTION_ALGS],
    userinfo_encryption_enc_values_supported: [...ENCRYPTION_ENCS],
    token_endpoint_auth_methods_supported: enabledTokenAuthMethods(config),
    token_endpoint_auth_signing_alg_values_supported: assertionAlgs(config),
    introspection_endpoint_auth_methods_supported: enabledTokenAuthMethods(config),
    introspection_endpoint_auth_signing_alg_values_supported: assertionAlgs(config),
    revocation_endpoint_auth_methods_supported: enabledTokenAuthMethods(config),
    revocation_endpoint_auth_signing_alg_values_supported: assertionAlgs(config),
    introspection_signing_alg_values_supported: ["RS256"],
    ...(config.tlsClientAuth ? { tls_client_certificate_bound_access_tokens: true, ...mtlsAliases(config) } : {}),
    // RFC 9449 §5.1: DPoP at the token, PAR and userinfo endpoints with these proof algorithms.
    dpop_signing_alg_values_supported: [...config.dpop.algs],
    code_challenge_methods_supported: config.pkcePlainEnabled ? ["S256", "plain"] : ["S256"],
    claims_supported: SUPPORTED_CLAIMS,
    claim_types_supported: ["normal"],
    claims_parameter_supported: true,
    ...requestObjectMetadata(config),
    ...pushedRequestMetadata(config),
    acr_values_supported: [ACR_PASSWORD],
    display_values_supported: ["page", "popup", "touch", "wap"],
    prompt_values_supported: ["none", "login", "consent"],
    authorization_response_iss_parameter_supported: true,
  };
}

/**
 * RFC 9101 §10.5 / OIDC Discovery §3: request objects while JAR is on (Discovery defaults
 * request_uri support to true, so "off" is said explicitly); request_uri values must be registered.
 */
function requestObjectMetadata(config: Config) {
  const enabled = config.hardening.jar !== "disabled";
  if (!enabled) return { request_parameter_supported: false, request_uri_parameter_supported: false };
  const required = config.hardening.jar === "required";
  return {
    request_parameter_supported: true,
    request_uri_parameter_supported: true,
    require_request_uri_registration: true,
    request_object_signing_alg_values_supported: required ? [...REQUEST_OBJECT_SIGNING_ALGS] : [...REQUEST_OBJECT_SIGNING_ALGS, "none"],
    request_object_encryption_alg_values_supported: [...ENCRYPTION_ALGS],
    request_object_encryption_enc_values_supported: [...ENCRYPTION_ENCS],
    require_signed_request_object: required,
  };
}

/** RFC 9126 §5: the PAR endpoint while PAR is on; required server-wide in PAR_MODE=required. */
function pushedRequestMetadata(config: Config) {
  if (config.hardening.par === "disabled") return {};
  return {
    pushed_authorization_request_endpoint: `${config.issuer}${PATHS.pushedAuthorizationRequest}`,
    require_pushed_authorization_requests: config.hardening.par === "required",
  };
}

/** OIDC Discovery §3 token_endpoint_auth_methods_supported: the client authentication methods this deployment offers. */
export function enabledTokenAuthMethods(config: Config): TokenAuthMethod[] {
  return SUPPORTED_TOKEN_AUTH_METHODS.filter(
    (m) =>
      (m !== "client_secret_jwt" || config.clientSecretEncryptionKey !== undefined) &&
      (!(TLS_AUTH_METHODS as readonly string[]).includes(m) || config.tlsClientAuth),
  );
}

/** RFC 8705 §5: the endpoints clients reach with their certificate, on the mTLS origin. */
function mtlsAliases(config: Config) {
  if (!config.mtlsEndpointOrigin) return {};
  const at = (p: string) => `${config.mtlsEndpointOrigin}${p}`;
  return {
    mtls_endpoint_aliases: {
      token_endpoint: at(PATHS.token),
      userinfo_endpoint: at(PATHS.userinfo),
      introspection_endpoint: at(PATHS.introspection),
      revocation_endpoint: at(PATHS.revocation),
    },
  };
}

function assertionAlgs(config: Config): string[] {
  return [...ASSERTION_ALGS.private_key_jwt, ...(config.clientSecretEncryptionKey ? ASSERTION_ALGS.client_secret_jwt : [])];
}
