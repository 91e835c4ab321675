/**
 * RFC 8725 §3.11-3.12 (and RFC 9101 §10.8): every JWT the OP accepts is accepted in one role
 * only. This module names each role the OP accepts or issues, the `typ` values that type a JWT
 * for it, the claims it requires, and the claims that mark a JWT as one of it; an acceptance
 * point refuses a JWT typed for another role, lacking its role's claims, or marked as another
 * role's. Pure functions of the decoded header and payload; the caller verifies the signature
 * and maps the refusal onto its own error (invalid_client, invalid_request_object, …).
 */

export type JwtRole =
  | "access_token"
  | "id_token"
  | "request_object"
  | "client_assertion"
  | "jwt_bearer_assertion"
  | "dpop_proof"
  | "logout_token"
  | "introspection_response"
  | "jarm_response"
  | "userinfo_response";

type Claims = Record<string, unknown>;

export interface JwtRoleSpec {
  /** How a refusal names it (plural with an "s"). */
  label: string;
  /** Who signs it: the OP's keys, or the client's (its registered keys, or its own DPoP key). */
  signer: "op" | "client";
  /** The `typ` values (RFC 7515 §4.1.9 short form, lower case) that type a JWT for this role. */
  typ: readonly string[];
  /** Whether a JWT without an explicit type (no `typ`, or the generic "JWT") may play this role. */
  untyped: boolean;
  /** Claims the role requires. */
  required: readonly string[];
  /** Where the spec says so. */
  section: string;
}

export const JWT_ROLES: Record<JwtRole, JwtRoleSpec> = {
  // RFC 9068 §2.1-2.2: typ at+jwt (application/at+jwt); iss, exp, aud, sub, client_id, iat, jti.
  access_token: {
    label: "access token",
    signer: "op",
    typ: ["at+jwt"],
    untyped: false,
    required: ["iss", "exp", "aud", "sub", "client_id", "iat", "jti"],
    section: "RFC 9068 §2",
  },
  // OIDC Core §2: iss, sub, aud, exp, iat. Untyped, as RPs expect (OIDC defines no typ for it).
  id_token: { label: "ID token", signer: "op", typ: [], untyped: true, required: ["iss", "sub", "aud", "exp", "iat"], section: "OIDC Core §2" },
  // RFC 9101 §4, §10.8: typ oauth-authz-req+jwt, or untyped (most OIDC clients send untyped objects).
  // iss and aud are the validator's (required when signed); the object must carry the request.
  request_object: { label: "request object", signer: "client", typ: ["oauth-authz-req+jwt"], untyped: true, required: [], section: "RFC 9101 §4" },
  // RFC 7523 §3 with OIDC Core §9: iss = sub = client_id, aud, exp, jti. draft-ietf-oauth-rfc7523bis
  // §4 types them client-authentication+jwt; untyped ones are still the rule.
  client_assertion: {
    label: "client assertion",
    signer: "client",
    typ: ["client-authentication+jwt"],
    untyped: true,
    required: ["iss", "sub", "aud", "exp", "jti"],
    section: "RFC 7523 §3",
  },
  // RFC 7523 §2.1, §3: iss, sub, aud, exp (jti too: this OP remembers every assertion's). No typ is defined.
  jwt_bearer_assertion: {
    label: "JWT bearer assertion",
    signer: "client",
    typ: [],
    untyped: true,
    required: ["iss", "sub", "aud", "exp", "jti"],
    section: "RFC 7523 §3",
  },
  // RFC 9449 §4.2: typ dpop+jwt; jti, htm, htu, iat.
  dpop_proof: { label: "DPoP proof", signer: "client", typ: ["dpop+jwt"], untyped: false, required: ["jti", "htm", "htu", "iat"], section: "RFC 9449 §4.2" },
  // OIDC Back-Channel Logout 1.0 §2.4: typ logout+jwt (recommended); iss, aud, iat, jti, events.
  logout_token: {
    label: "logout token",
    signer: "op",
    typ: ["logout+jwt"],
    untyped: true,
    required: ["iss", "aud", "iat", "jti", "events"],
    section: "OIDC Back-Channel Logout §2.4",
  },
  // RFC 9701 §5: typ token-introspection+jwt; iss, aud, iat, token_introspection.
  introspection_response: {
    label: "token introspection response",
    signer: "op",
    typ: ["token-introspection+jwt"],
    untyped: false,
    required: ["iss", "aud", "iat", "token_introspection"],
    section: "RFC 9701 §5",
  },
  // JARM §2.1: iss, aud, exp and the response parameters; JARM defines no typ.
  jarm_response: { label: "JARM response", signer: "op", typ: [], untyped: true, required: ["iss", "aud", "exp"], section: "JARM §2.1" },
  // OIDC Core §5.3.2: a signed userinfo response has sub, and iss and aud; no typ is defined.
  userinfo_response: { label: "userinfo response", signer: "op", typ: [], untyped: true, required: ["sub"], section: "OIDC Core §5.3.2" },
};

/** RFC 7515 §4.1.9: typ is a media type, compared case-insensitively, "application/" may be left out. */
export function normalizedTyp(typ: unknown): string | undefined {
  if (typeof typ !== "string") return undefined;
  const lower = typ.toLowerCase();
  return lower.startsWith("application/") ? lower.slice("application/".length) : lower;
}

/** RFC 7519 §5.1: "JWT" only says it is a JWT, so it types nothing, like an absent typ. */
const GENERIC_TYPS = new Set(["jwt"]);

/** RFC 8725 §3.11: the role a JWT is explicitly typed for; "untyped" when its typ names no kind; null for a typ no role has. */
export function typedRole(header: Claims): JwtRole | "untyped" | null {
  if (header.typ === undefined) return "untyped";
  const typ = normalizedTyp(header.typ);
  if (typ === undefined) return null; // typ must be a string (RFC 7515 §4.1.9)
  if (GENERIC_TYPS.has(typ)) return "untyped";
  return (Object.keys(JWT_ROLES) as JwtRole[]).find((role) => JWT_ROLES[role].typ.includes(typ)) ?? null;
}

/** RFC 9101 §4 / RFC 6749 §4.1.1, OIDC Core §3.1.2.1: parameters only an authorization request carries. */
const AUTHORIZATION_REQUEST_ONLY = [
  "response_type",
  "redirect_uri",
  "response_mode",
  "code_challenge",
  "code_challenge_method",
  "prompt",
  "max_age",
  "login_hint",
  "id_token_hint",
  "acr_values",
  "ui_locales",
  "display",
  "request",
  "request_uri",
];
/** JWT claims that describe a request object itself rather than the request (RFC 9101 §4, RFC 7519 §4.1). */
const JWT_CLAIMS = new Set(["iss", "aud", "exp", "iat", "nbf", "jti", "sub"]);

const has = (payload: Claims, name: string) => payload[name] !== undefined;

/** RFC 9101 §4: a JWT carrying authorization request parameters is a request object. */
export const marksRequestObject = (payload: Claims) => AUTHORIZATION_REQUEST_ONLY.some((name) => has(payload, name));

/**
 * RFC 9101 §10.8, RFC 7523 §3: iss = sub (the client_id) is what makes a client's JWT an assertion
 * about itself; §10.8 says a request object never carries the client_id as its sub for this reason.
 */
export const marksClientAssertion = (payload: Claims) => typeof payload.iss === "string" && payload.iss === payload.sub;

/** OIDC Core §3.1.3.6, §3.3.2.11, FAPI 1.0 Advanced §5.1: the hash claims only ID tokens carry. */
export const marksIdToken = (payload: Claims) => ["at_hash", "c_hash", "s_hash"].some((name) => has(payload, name));

/** RFC 9449 §4.2: htm, htu and ath are the claims of a DPoP proof. */
export const marksDpopProof = (payload: Claims) => ["htm", "htu", "ath"].some((name) => has(payload, name));

/** OIDC Back-Channel Logout §2.4 (a Security Event Token, RFC 8417 §2.2): events with the back-channel logout event. */
export const marksLogoutToken = (payload: Claims) =>
  typeof payload.events === "object" && payload.events !== null && "http://schemas.openid.net/event/backchannel-logout" in payload.events;

/** RFC 9701 §5: the RFC 7662 response, nested in token_introspection. */
export const marksIntrospectionResponse = (payload: Claims) => has(payload, "token_introspection");

/** JARM §2.1: the authorization response parameters as claims (code, tokens, or an error). */
export const marksJarmResponse = (payload: Claims) => ["code", "access_token", "id_token", "error"].some((name) => has(payload, name));

/** The claims that mark a JWT as one of a role; roles marked by typ alone (access tokens, RFC 9068 §2.1) have none here. */
const CLAIM_MARKS: Partial<Record<JwtRole, (payload: Claims) => boolean>> = {
  request_object: marksRequestObject,
  client_assertion: marksClientAssertion,
  id_token: marksIdToken,
  dpop_proof: marksDpopProof,
  logout_token: marksLogoutToken,
  introspection_response: marksIntrospectionResponse,
  jarm_response: marksJarmResponse,
};

/**
 * Roles whose claim marks another role legitimately carries: RFC 7523 defines one JWT profile for
 * client authentication (§2.2) and for the grant (§2.1), so a self-assertion (sub = the client)
 * is both; only an explicit typ (rfc7523bis §4) tells them apart.
 */
const SHARED_MARKS: Partial<Record<JwtRole, readonly JwtRole[]>> = {
  jwt_bearer_assertion: ["client_assertion"],
};

/** RFC 8725 §3.12: the roles other than `role` whose claims this payload carries. */
export function rolesMarkedByClaims(payload: Claims, role: JwtRole): JwtRole[] {
  const shared = SHARED_MARKS[role] ?? [];
  return (Object.keys(CLAIM_MARKS) as JwtRole[]).filter((other) => other !== role && !shared.includes(other) && CLAIM_MARKS[other]!(payload));
}

/** The required claims of `role` this payload lacks. */
export const missingClaims = (role: JwtRole, payload: Claims): string[] => JWT_ROLES[role].required.filter((name) => !has(payload, name));

/** RFC 9101 §4: a request object carries the authorization request, so at least one parameter besides the JWT claims. */
export const carriesAuthorizationRequest = (payload: Claims) => Object.keys(payload).some((name) => !JWT_CLAIMS.has(name));

/** Rules of one role beyond its required claims. */
const ROLE_SHAPES: Partial<Record<JwtRole, (payload: Claims) => string | undefined>> = {
  // RFC 7523 §3 items 1-2, OIDC Core §9: the client is both issuer and subject.
  client_assertion: (p) => (marksClientAssertion(p) ? undefined : "must have iss and sub both the client_id"),
  request_object: (p) => (carriesAuthorizationRequest(p) ? undefined : "carries no authorization request parameter"),
};

/**
 * Why `header` and `payload` cannot be accepted as a `role` JWT, or undefined when they can
 * (RFC 8725 §3.11 explicit typing, §3.12 mutually exclusive validation rules): its typ is another
 * role's (or no role's, or it is untyped where the role must be typed); it lacks a claim the
 * role requires; or it carries the claims that mark another role.
 */
export function jwtRoleRefusal(role: JwtRole, header: Claims, payload: Claims): string | undefined {
  const spec = JWT_ROLES[role];
  const plural = (r: JwtRole) => `${JWT_ROLES[r].label}s`;
  const typed = typedRole(header);
  if (typed === null) return `has a typ of no role (${String(header.typ)})`;
  if (typed === "untyped" && !spec.untyped) return `must be typed ${spec.typ[0]}`;
  if (typed !== "untyped" && typed !== role) return `is typed for ${plural(typed)} (${String(header.typ)})`;
  const missing = missingClaims(role, payload);
  if (missing.length) return `lacks claims ${plural(role)} require: ${missing.join(", ")}`;
  const shape = ROLE_SHAPES[role]?.(payload);
  if (shape) return shape;
  const others = rolesMarkedByClaims(payload, role);
  if (others.length) return `carries the claims of ${others.map(plural).join(" and ")}`;
  return undefined;
}

/** jwtRoleRefusal as a throw: `fail` is the acceptance point's error constructor (invalidClient, invalidRequestObject, …). */
export function checkJwtRole(role: JwtRole, header: Claims, payload: Claims, fail: (description: string) => Error, what: string = JWT_ROLES[role].label): void {
  const refusal = jwtRoleRefusal(role, header, payload);
  if (refusal) throw fail(`the ${what} ${refusal}`);
}
