import { errors, type JWTPayload, jwtVerify } from "jose";
import { ASYMMETRIC_ALGS, type DpopNonceHook, type DpopProof, type ReplayCache, verifyDpopProof } from "./dpop";
import { timingSafeEqual } from "./encoding";
import { AuthError, UpstreamError } from "./errors";
import type { KeyResolver } from "./jwks";
import { presentedCertificateThumbprint } from "./mtls";

/**
 * The token-verification core: pure of any framework and of the OP's own packages (jose and
 * web APIs only), so that an operator's API, the kit (resource-server.ts) and the OP's own
 * userinfo can share it. Every refusal is an AuthError; a key source that cannot be reached
 * is an UpstreamError.
 */

/** RFC 8693 §4.1: who acts for the subject. */
export interface ActorClaim {
  sub: string;
  client_id?: string;
  act?: ActorClaim;
}

/** RFC 7800 §3.1 confirmation: RFC 8705 §3.1 certificate or RFC 9449 §6.1 DPoP key. */
export interface Confirmation {
  "x5t#S256"?: string;
  jkt?: string;
}

/** RFC 9068 §2.2 claims (and this OP's `gid`, the grant the token belongs to). */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  exp: number;
  iat: number;
  jti: string;
  scope?: string;
  auth_time?: number;
  acr?: string;
  amr?: string[];
  act?: ActorClaim;
  cnf?: Confirmation;
  gid?: string;
}

export interface VerifyAccessTokenOptions {
  /** The authorization server's issuer identifier, compared exactly with `iss`. */
  issuer: string;
  /** The token's `aud` must contain one of these (RFC 9068 §4, RFC 8707: the resource's identifier). */
  audience: string | readonly string[];
  /** The issuer's verification keys (remoteJwks(), or the OP's own). */
  keys: KeyResolver;
  /** Accepted signing algorithms; default every asymmetric one. HMAC and `none` are never accepted. */
  algorithms?: readonly string[];
  /** Clock skew allowed on exp/iat/nbf, in seconds (default 60). */
  clockTolerance?: number;
  /** The current time in milliseconds (default Date.now()). */
  now?: number;
}

const MAX_TOKEN_LENGTH = 8192;
const REQUIRED_CLAIMS = ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"];

const invalidToken = (description: string) => new AuthError("invalid_token", description);

/**
 * RFC 9068 §4: verifies an access token JWT — `typ` at+jwt, an asymmetric signature by one of
 * the issuer's keys, `iss`, `aud`, `exp`/`iat`/`nbf` and the required claims — and returns its
 * claims. It checks neither binding (verifyBinding) nor revocation (introspection).
 */
export async function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenClaims> {
  if (token.length > MAX_TOKEN_LENGTH || token.split(".").length !== 3) throw invalidToken("the access token is not a JWT");
  const algorithms = (options.algorithms ?? ASYMMETRIC_ALGS).filter((a) => (ASYMMETRIC_ALGS as readonly string[]).includes(a));
  const audience = typeof options.audience === "string" ? [options.audience] : [...options.audience];
  if (!audience.length) throw new TypeError("verifyAccessToken: an audience is required");
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience,
      algorithms,
      // RFC 9068 §4: "at+jwt" (jose also accepts "application/at+jwt", as §4 allows).
      typ: "at+jwt",
      clockTolerance: options.clockTolerance ?? 60,
      currentDate: new Date(options.now ?? Date.now()),
      requiredClaims: REQUIRED_CLAIMS,
    }));
  } catch (e) {
    throw describeJoseError(e);
  }
  const claims = payload as AccessTokenClaims;
  const wrongType =
    typeof claims.sub !== "string" ||
    typeof claims.client_id !== "string" ||
    typeof claims.jti !== "string" ||
    (claims.scope !== undefined && typeof claims.scope !== "string") ||
    (claims.auth_time !== undefined && typeof claims.auth_time !== "number") ||
    (claims.acr !== undefined && typeof claims.acr !== "string") ||
    (claims.cnf !== undefined && (typeof claims.cnf !== "object" || claims.cnf === null || Array.isArray(claims.cnf)));
  if (wrongType) throw invalidToken("the access token's claims are malformed");
  return claims;
}

function describeJoseError(e: unknown): Error {
  if (e instanceof UpstreamError || e instanceof AuthError) return e;
  if (e instanceof errors.JWTExpired) return invalidToken("the access token has expired");
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "typ") return invalidToken("the token is not an access token (typ must be at+jwt)");
    if (e.claim === "iss") return invalidToken("the access token is from another issuer");
    if (e.claim === "aud") return invalidToken("the access token is not for this resource");
    return invalidToken(`the access token's ${e.claim} claim is invalid`);
  }
  if (e instanceof errors.JWKSNoMatchingKey) return invalidToken("the access token is signed with an unknown key");
  if (e instanceof errors.JWSSignatureVerificationFailed) return invalidToken("the access token's signature is invalid");
  if (e instanceof errors.JOSEAlgNotAllowed) return invalidToken("the access token's signing algorithm is not accepted");
  if (e instanceof errors.JOSEError) return invalidToken("the access token is malformed");
  return e instanceof Error ? e : new Error(String(e));
}

/** How the request presented its token (RFC 6750 §2.1, RFC 9449 §7.1). */
export interface Credentials {
  scheme: "Bearer" | "DPoP";
  token: string;
}

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * The access token in the Authorization header, or undefined when there is none for us (no
 * header, or another scheme). A Bearer (or, with `dpop`, DPoP) header that is not one well-formed
 * token is invalid_request (RFC 6750 §3.1), as are two Authorization headers.
 */
export function readCredentials(request: Request, options: { dpop?: boolean } = {}): Credentials | undefined {
  const header = request.headers.get("authorization");
  if (header === null) return undefined;
  const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?:[ \t]+(.*))?$/.exec(header.trim());
  if (!match) throw new AuthError("invalid_request", "the Authorization header is malformed");
  const scheme = match[1]!.toLowerCase();
  const value = (match[2] ?? "").trim();
  const name = scheme === "bearer" ? "Bearer" : scheme === "dpop" && options.dpop !== false ? "DPoP" : undefined;
  if (!name) return undefined;
  if (!value || !B64TOKEN.test(value))
    throw new AuthError("invalid_request", `the ${name} Authorization header must carry exactly one token`, { scheme: name });
  return { scheme: name, token: value };
}

export interface DpopSettings {
  /** Accepted proof algorithms (default DEFAULT_DPOP_ALGS: ES256, PS256, EdDSA). */
  algorithms?: readonly string[];
  /** How old a proof may be, in seconds (default 60). */
  maxAge?: number;
  /** Clock skew allowed on a proof's iat, in seconds (default 5). */
  clockTolerance?: number;
  /** Replay cache for proofs' jti; default per isolate (MemoryReplayCache); false: none. */
  replay?: ReplayCache | false;
  /** Server nonces (RFC 9449 §8). */
  nonce?: DpopNonceHook;
}

export interface BindingOptions {
  /** DPoP support (default on); false refuses every DPoP-bound token. */
  dpop?: DpopSettings | false;
  /** Read the development certificate header (mtls.ts) instead of cf.tlsClientAuth when present. */
  developmentCertificateHeader?: boolean;
  /** The URL the client addressed, for the proof's htu, when request.url is not it (a rewrite, a proxy). */
  url?: string;
  now?: number;
}

export interface Binding {
  /** The verified DPoP proof, when the token is DPoP-bound. */
  dpop?: DpopProof;
  /** The client certificate's x5t#S256, when the token is certificate-bound. */
  certificateThumbprint?: string;
}

/**
 * The token's proof of possession (RFC 7800 cnf): a DPoP-bound token (cnf.jkt) only with the
 * DPoP scheme and a valid proof by that key (RFC 9449 §7.1, §7.2: never as a Bearer token); a
 * certificate-bound one (cnf x5t#S256) only over TLS with that certificate (RFC 8705 §3); a
 * DPoP scheme only with a DPoP-bound token. Confirmation methods it does not know fail closed.
 */
export async function verifyBinding(request: Request, credentials: Credentials, claims: AccessTokenClaims, options: BindingOptions = {}): Promise<Binding> {
  const cnf = (claims.cnf ?? {}) as Record<string, unknown>;
  const unknown = Object.keys(cnf).filter((k) => k !== "jkt" && k !== "x5t#S256");
  if (unknown.length)
    throw invalidToken(`the access token is bound by an unsupported confirmation method (${unknown.join(", ")})`).withScheme(credentials.scheme);
  const binding: Binding = {};

  if ("x5t#S256" in cnf) {
    const expected = cnf["x5t#S256"];
    const presented = presentedCertificateThumbprint(request, { developmentHeader: options.developmentCertificateHeader });
    if (typeof expected !== "string") throw invalidToken("the access token's cnf x5t#S256 is malformed").withScheme(credentials.scheme);
    if (!presented) throw invalidToken("the access token is bound to a client certificate, and none was presented").withScheme(credentials.scheme);
    if (!timingSafeEqual(presented, expected)) throw invalidToken("the access token is bound to another client certificate").withScheme(credentials.scheme);
    binding.certificateThumbprint = presented;
  }

  if ("jkt" in cnf) {
    const jkt = cnf.jkt;
    if (typeof jkt !== "string") throw invalidToken("the access token's cnf jkt is malformed").withScheme("DPoP");
    if (options.dpop === false) throw invalidToken("DPoP-bound access tokens are not accepted here").withScheme(credentials.scheme);
    if (credentials.scheme !== "DPoP") throw invalidToken("a DPoP-bound access token must be presented with the DPoP scheme").withScheme("DPoP");
    const proof = request.headers.get("dpop");
    if (proof === null) throw new AuthError("invalid_dpop_proof", "the request has no DPoP proof", { scheme: "DPoP" });
    if (proof.includes(",")) throw new AuthError("invalid_dpop_proof", "the request has more than one DPoP proof", { scheme: "DPoP" });
    binding.dpop = await verifyDpopProof({
      proof,
      method: request.method,
      url: options.url ?? request.url,
      accessToken: credentials.token,
      jkt,
      algorithms: options.dpop?.algorithms,
      maxAge: options.dpop?.maxAge,
      clockTolerance: options.dpop?.clockTolerance,
      replay: options.dpop?.replay,
      nonce: options.dpop?.nonce,
      now: options.now,
    });
  } else if (credentials.scheme === "DPoP") {
    throw invalidToken("the access token is not DPoP-bound; present it with the Bearer scheme").withScheme("DPoP");
  }
  return binding;
}

/** An access token that verified, with its binding held. */
export interface VerifiedToken {
  /** The token as presented. */
  token: string;
  scheme: "Bearer" | "DPoP";
  claims: AccessTokenClaims;
  sub: string;
  clientId: string;
  scopes: string[];
  audience: string[];
  /** Seconds since the epoch. */
  expiresAt: number;
  dpop?: DpopProof;
  certificateThumbprint?: string;
  /** The RFC 7662 introspection response, when the token was introspected. */
  introspection?: Record<string, unknown>;
}

export interface AuthenticateRequestOptions extends Omit<VerifyAccessTokenOptions, "now">, Omit<BindingOptions, "now"> {
  now?: number;
}

/**
 * Reads, verifies and checks the binding of the access token on `request`: the whole of what
 * RFC 6750 / RFC 9068 / RFC 8705 / RFC 9449 ask of a resource server, short of its own route
 * requirements (checkRequirements) and revocation. Throws AuthError (code undefined: no token).
 */
export async function authenticateRequest(request: Request, options: AuthenticateRequestOptions): Promise<VerifiedToken> {
  const credentials = readCredentials(request, { dpop: options.dpop !== false });
  if (!credentials) throw new AuthError(undefined, "no access token");
  let claims: AccessTokenClaims;
  try {
    claims = await verifyAccessToken(credentials.token, options);
  } catch (e) {
    throw e instanceof AuthError ? e.withScheme(credentials.scheme) : e;
  }
  const binding = await verifyBinding(request, credentials, claims, options);
  return {
    token: credentials.token,
    scheme: credentials.scheme,
    claims,
    sub: claims.sub,
    clientId: claims.client_id,
    scopes: (claims.scope ?? "").split(" ").filter(Boolean),
    audience: typeof claims.aud === "string" ? [claims.aud] : [...claims.aud],
    expiresAt: claims.exp,
    ...binding,
  };
}

/** What a route asks of a token beyond its validity. */
export interface Requirements {
  /** Every one of these scopes (RFC 6750 §3.1 insufficient_scope, 403). */
  scopes?: readonly string[];
  /** RFC 9470: the token's `acr` must be one of these. */
  acrValues?: readonly string[];
  /** RFC 9470: the user must have authenticated at most this many seconds ago (`auth_time`). */
  maxAge?: number;
}

/**
 * RFC 9470 §3 step-up (acr, auth_time age: insufficient_user_authentication, with what would
 * suffice), then RFC 6750 §3.1 scopes (insufficient_scope, naming the scopes needed).
 */
export function checkRequirements(token: VerifiedToken, requirements: Requirements, now = Date.now()): void {
  const { acrValues, maxAge, scopes } = requirements;
  const stepUp = { acrValues: acrValues?.length ? [...acrValues] : undefined, maxAge, scheme: token.scheme };
  if (acrValues?.length && (token.claims.acr === undefined || !acrValues.includes(token.claims.acr))) {
    throw new AuthError("insufficient_user_authentication", "a stronger authentication of the user is required", stepUp);
  }
  if (maxAge !== undefined) {
    const authTime = token.claims.auth_time;
    if (authTime === undefined || Math.floor(now / 1000) - authTime > maxAge) {
      throw new AuthError("insufficient_user_authentication", "a more recent authentication of the user is required", stepUp);
    }
  }
  const missing = (scopes ?? []).filter((s) => !token.scopes.includes(s));
  if (missing.length)
    throw new AuthError("insufficient_scope", `the access token lacks scope ${missing.join(" ")}`, { scope: [...(scopes ?? [])], scheme: token.scheme });
}
