/**
 * The one error model. Every refusal the OP sends is an OAuthError made by the constructor of its
 * code below; the code decides the HTTP status, the `WWW-Authenticate` scheme and whether the
 * error may travel to the client's redirect URI. The description is public text; `debug` is
 * detail for the operator's log, never sent. One handler renders them (packages/http errors.ts).
 */

/** RFC 7235 §4.1 schemes of the challenges we send: RFC 6749 §5.2, RFC 6750 §3, RFC 9449 §7.1. */
export type ChallengeScheme = "Basic" | "Bearer" | "DPoP";

interface CodeSpec {
  status: number;
  challenge?: ChallengeScheme;
  /** RFC 6749 §4.1.2.1: false where the client itself is in doubt, so nothing may be sent to it. */
  redirectable?: false;
}

/**
 * Each code with what it implies: RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6; RFC 9101 §6.3;
 * RFC 6750 §3.1; RFC 7591 §3.2.2; RFC 7009 §2.2.1; RFC 8707 §2; RFC 8628 §3.5. `not_found` is
 * the OP's own, for paths and admin resources that do not exist.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400 },
  invalid_client: { status: 401, challenge: "Basic", redirectable: false },
  invalid_grant: { status: 400 },
  unauthorized_client: { status: 400 },
  unsupported_grant_type: { status: 400 },
  invalid_scope: { status: 400 },
  access_denied: { status: 400 },
  unsupported_response_type: { status: 400 },
  // A response mode this OP does not offer (as oidc-provider answers; JARM modes where JARM is off).
  unsupported_response_mode: { status: 400 },
  server_error: { status: 500 },
  temporarily_unavailable: { status: 503 },
  interaction_required: { status: 400 },
  login_required: { status: 400 },
  account_selection_required: { status: 400 },
  consent_required: { status: 400 },
  invalid_request_uri: { status: 400 },
  invalid_request_object: { status: 400 },
  request_not_supported: { status: 400 },
  request_uri_not_supported: { status: 400 },
  registration_not_supported: { status: 400 },
  invalid_token: { status: 401, challenge: "Bearer" },
  insufficient_scope: { status: 403, challenge: "Bearer" },
  invalid_redirect_uri: { status: 400 },
  invalid_client_metadata: { status: 400 },
  unsupported_token_type: { status: 400 },
  invalid_target: { status: 400 },
  authorization_pending: { status: 400 },
  slow_down: { status: 400 },
  expired_token: { status: 400 },
  // RFC 9449 §5 (token endpoint: RFC 6749 §5.2, 400) and §7.1 (a protected resource: 401 with a
  // DPoP challenge, which the resource asks for with `resourceChallenge`).
  invalid_dpop_proof: { status: 400 },
  // RFC 9449 §8 (400 at the token endpoint) and §9 (401 at a resource), with the DPoP-Nonce header.
  use_dpop_nonce: { status: 400 },
  not_found: { status: 404 },
} as const satisfies Record<string, CodeSpec>;

export type OAuthErrorCode = keyof typeof ERROR_CODES;
export const OAUTH_ERROR_CODES = Object.keys(ERROR_CODES) as OAuthErrorCode[];

export interface ErrorOptions {
  /** Instead of the code's status (e.g. 413 for an oversized body, 429 for a rate limit). */
  status?: number;
  headers?: Record<string, string>;
  /** Never redirect this one, whatever its code says. */
  redirectable?: false;
  /** RFC 6750 §3.1: a request that carried no credentials gets the challenge without an error code. */
  bareChallenge?: boolean;
  /** The scheme whose challenge carries this error, instead of the code's (RFC 9449 §7.1: a DPoP token's errors go on the DPoP challenge). */
  challenge?: ChallengeScheme;
  /** The challenge's realm, if not the issuer (the admin API's is `<issuer>/admin`). */
  realm?: string;
  /** For the log only. */
  debug?: string;
}

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly redirectable: boolean;
  readonly challenge: ChallengeScheme | undefined;
  readonly bareChallenge: boolean;
  readonly realm: string | undefined;
  readonly debug: string | undefined;

  constructor(error: OAuthErrorCode, description: string, opts: ErrorOptions = {}) {
    super(description);
    const spec: CodeSpec = ERROR_CODES[error];
    this.name = "OAuthError";
    this.error = error;
    this.status = opts.status ?? spec.status;
    this.headers = opts.headers ?? {};
    this.redirectable = opts.redirectable ?? spec.redirectable ?? true;
    this.challenge = opts.challenge ?? spec.challenge;
    this.bareChallenge = opts.bareChallenge ?? false;
    this.realm = opts.realm;
    this.debug = opts.debug;
  }

  get description(): string {
    return this.message;
  }

  /** The same error with operator-only detail attached (fosite's WithDebug). */
  withDebug(debug: string): OAuthError {
    return this.with({ debug });
  }

  with(opts: ErrorOptions): OAuthError {
    return new OAuthError(this.error, this.message, {
      status: this.status,
      headers: this.headers,
      redirectable: this.redirectable ? undefined : false,
      bareChallenge: this.bareChallenge,
      challenge: this.challenge,
      realm: this.realm,
      debug: this.debug,
      ...opts,
    });
  }

  /** RFC 6749 §5.2: what is sent; `debug` never is. */
  toJSON() {
    return { error: this.error, error_description: this.message };
  }
}

const code =
  (error: OAuthErrorCode) =>
  (description: string, opts?: ErrorOptions): OAuthError =>
    new OAuthError(error, description, opts);

export const invalidRequest = code("invalid_request");
export const invalidClient = code("invalid_client");
export const invalidGrant = code("invalid_grant");
export const unauthorizedClient = code("unauthorized_client");
export const unsupportedGrantType = code("unsupported_grant_type");
export const invalidScope = code("invalid_scope");
export const accessDenied = code("access_denied");
export const unsupportedResponseType = code("unsupported_response_type");
export const unsupportedResponseMode = code("unsupported_response_mode");
export const serverError = code("server_error");
export const temporarilyUnavailable = code("temporarily_unavailable");
export const interactionRequired = code("interaction_required");
export const loginRequired = code("login_required");
export const accountSelectionRequired = code("account_selection_required");
export const consentRequired = code("consent_required");
export const invalidRequestUri = code("invalid_request_uri");
export const invalidRequestObject = code("invalid_request_object");
export const requestNotSupported = code("request_not_supported");
export const requestUriNotSupported = code("request_uri_not_supported");
export const registrationNotSupported = code("registration_not_supported");
export const invalidToken = code("invalid_token");
export const insufficientScope = code("insufficient_scope");
export const invalidRedirectUri = code("invalid_redirect_uri");
export const invalidClientMetadata = code("invalid_client_metadata");
export const unsupportedTokenType = code("unsupported_token_type");
export const invalidTarget = code("invalid_target");
export const authorizationPending = code("authorization_pending");
export const slowDown = code("slow_down");
export const expiredToken = code("expired_token");
export const notFound = code("not_found");
export const invalidDpopProof = code("invalid_dpop_proof");

/** RFC 9449 §8, §9: the proof must carry the server's nonce, given in the DPoP-Nonce header. */
export const useDpopNonce = (nonce: string, description = "the DPoP proof must carry the server's nonce (DPoP-Nonce)", opts?: ErrorOptions) =>
  new OAuthError("use_dpop_nonce", description, { ...opts, headers: { ...opts?.headers, "DPoP-Nonce": nonce } });

/**
 * RFC 9449 §7.1, §9: a DPoP refusal at a protected resource (userinfo) is a 401 whose DPoP
 * challenge carries it; at the token endpoint the same codes are 400s without one (§5, §8).
 */
export const atProtectedResource = (err: OAuthError): OAuthError =>
  err.error === "invalid_dpop_proof" || err.error === "use_dpop_nonce" ? err.with({ status: 401, challenge: "DPoP" }) : err;

/** RFC 6750 §3.1: no token at all: 401 with a bare challenge, no error code in it. */
export const missingToken = (description = "an access token is required", opts?: ErrorOptions) => invalidToken(description, { ...opts, bareChallenge: true });

/** RFC 9110 §15.5.14: a body over the limit, refused before anything reads it. */
export const payloadTooLarge = () => invalidRequest("request body too large", { status: 413 });

/** RFC 9110 §15.5.6: with the methods the endpoint accepts. */
export const methodNotAllowed = (allow: string) => invalidRequest("method not allowed", { status: 405, headers: { Allow: allow } });

/**
 * Over a limit: 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3). The code is
 * `temporarily_unavailable`, which clients already treat as "try again later"; the text names
 * the setting that raises the limit, so an operator knows what to change.
 */
export const rateLimited = (retryAfter: number, description: string, setting: string) =>
  temporarilyUnavailable(`${description}; retry after ${retryAfter} s (limit: ${setting})`, {
    status: 429,
    headers: { "Retry-After": String(retryAfter) },
  });

/** Anything thrown that is not an OAuthError is a server_error whose message only the log sees. */
export function asOAuthError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return serverError("The server encountered an unexpected condition", { debug: detail });
}

/** The seconds a rate-limited error asks to wait, or undefined for any other error. */
export function retryAfterOf(err: unknown): number | undefined {
  if (!(err instanceof OAuthError) || err.status !== 429) return undefined;
  return Number(err.headers["Retry-After"]);
}
