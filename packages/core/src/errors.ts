/**
 * OAuth 2.0 / OIDC error codes (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3.1; OIDC Core §3.1.2.6;
 * RFC 7591 §3.2.2; RFC 8628 §3.5). Every rejection is an OAuthError; endpoints render it.
 */
export const OAUTH_ERROR_CODES = [
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "access_denied",
  "unsupported_response_type",
  // A response mode this OP does not offer (as node oidc-provider answers; JARM modes when JARM_MODE=disabled).
  "unsupported_response_mode",
  "server_error",
  "temporarily_unavailable",
  "interaction_required",
  "login_required",
  "account_selection_required",
  "consent_required",
  "invalid_request_uri",
  "invalid_request_object",
  "request_not_supported",
  "request_uri_not_supported",
  "registration_not_supported",
  "invalid_token",
  "insufficient_scope",
  "invalid_redirect_uri",
  "invalid_client_metadata",
  "unsupported_token_type",
  "invalid_target",
  "authorization_pending",
  "slow_down",
  "expired_token",
  "not_found",
] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

const defaultStatus: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
  not_found: 404,
};

export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(error: OAuthErrorCode, description: string, opts: { status?: number; headers?: Record<string, string> } = {}) {
    super(description);
    this.name = "OAuthError";
    this.error = error;
    this.status = opts.status ?? defaultStatus[error] ?? 400;
    this.headers = opts.headers ?? {};
  }

  get description(): string {
    return this.message;
  }

  toJSON() {
    return { error: this.error, error_description: this.message };
  }
}

export const invalidRequest = (d: string) => new OAuthError("invalid_request", d);
export const invalidGrant = (d: string) => new OAuthError("invalid_grant", d);
export const invalidScope = (d: string) => new OAuthError("invalid_scope", d);
export const unauthorizedClient = (d: string) => new OAuthError("unauthorized_client", d);
export const invalidClientMetadata = (d: string) => new OAuthError("invalid_client_metadata", d);
export const invalidRedirectUri = (d: string) => new OAuthError("invalid_redirect_uri", d);
