/**
 * Why a request was refused, in the terms of RFC 6750 §3.1, RFC 9449 §7.1 and RFC 9470 §3.
 * The kit turns one into a `WWW-Authenticate` challenge (challenge.ts); code that uses the
 * verification functions directly can read `code`, `status` and `description`.
 */
export type AuthErrorCode =
  /** RFC 6750 §3.1: a malformed request (two tokens, a token that is not a b64token, …): 400. */
  | "invalid_request"
  /** RFC 6750 §3.1: expired, revoked, malformed, for another audience, or its binding does not hold: 401. */
  | "invalid_token"
  /** RFC 6750 §3.1: a valid token without the scopes the route needs: 403. */
  | "insufficient_scope"
  /** RFC 9449 §7.1: the DPoP proof is missing or invalid: 401. */
  | "invalid_dpop_proof"
  /** RFC 9449 §8: the proof must carry the nonce given in the DPoP-Nonce header: 401. */
  | "use_dpop_nonce"
  /** RFC 9470 §3: the user authenticated too long ago, or not strongly enough: 401. */
  | "insufficient_user_authentication";

const STATUS: Record<AuthErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  insufficient_scope: 403,
  invalid_dpop_proof: 401,
  use_dpop_nonce: 401,
  insufficient_user_authentication: 401,
};

export interface AuthErrorDetails {
  /** RFC 6750 §3: the scopes that would have sufficed (insufficient_scope, or a 401 on a scoped route). */
  scope?: string[];
  /** RFC 9470 §3: the authentication context classes that would satisfy the route. */
  acrValues?: string[];
  /** RFC 9470 §3: the largest acceptable age of the user's authentication, in seconds. */
  maxAge?: number;
  /** RFC 9449 §8: a fresh nonce for the DPoP-Nonce response header (use_dpop_nonce). */
  dpopNonce?: string;
  /** The scheme whose challenge carries the error: the one the request used, when it used one. */
  scheme?: "Bearer" | "DPoP";
}

/**
 * A refusal. `code` is undefined when the request carried no access token at all: RFC 6750
 * §3.1 says such a challenge SHOULD NOT carry an error code (401, just the challenge).
 */
export class AuthError extends Error {
  readonly status: number;
  constructor(
    readonly code: AuthErrorCode | undefined,
    readonly description: string,
    readonly details: AuthErrorDetails = {},
  ) {
    super(code ? `${code}: ${description}` : description);
    this.name = "AuthError";
    this.status = code ? STATUS[code] : 401;
  }

  /** The same error, its challenge on `scheme` unless it already names one. */
  withScheme(scheme: "Bearer" | "DPoP"): AuthError {
    return this.details.scheme ? this : new AuthError(this.code, this.description, { ...this.details, scheme });
  }
}

/**
 * The authorization server could not be reached for its keys or introspection: not the
 * client's fault, so no challenge that would make it throw its token away (503).
 */
export class UpstreamError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UpstreamError";
  }
}
