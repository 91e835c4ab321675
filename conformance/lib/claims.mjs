// The suite's conditions on the claims of ID tokens and userinfo responses, one function each,
// named after the condition class (net.openid.conformance.condition.client, suite @ 12f2a4d).
import { check, equal, Failure } from "./assert.mjs";

export const CLOCK_SKEW_S = 300; // ValidateIdToken: 5 minutes either way
const YEAR_S = 365 * 24 * 3600;

/**
 * ValidateIdToken: iss, aud, exp, iat (not in the future, not older than 5 minutes), auth_time,
 * acr. `now` in seconds with its fraction, as the suite compares in milliseconds.
 */
export function validateIdToken(claims, { issuer, clientId, where, now = Date.now() / 1000 }) {
  equal(claims.iss, issuer, `${where}: iss`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  check(aud.includes(clientId), `${where}: aud ${JSON.stringify(claims.aud)} lacks the client`);
  check(typeof claims.exp === "number", `${where}: exp missing`);
  check(claims.exp >= now - CLOCK_SKEW_S, `${where}: expired (exp ${claims.exp}, now ${Math.floor(now)})`);
  check(claims.exp <= now + 50 * YEAR_S, `${where}: exp more than 50 years ahead (milliseconds?)`);
  check(typeof claims.iat === "number", `${where}: iat missing`);
  check(claims.iat <= now + CLOCK_SKEW_S, `${where}: iat in the future (iat ${claims.iat}, now ${Math.floor(now)})`);
  check(claims.iat >= now - CLOCK_SKEW_S, `${where}: iat more than 5 minutes in the past (iat ${claims.iat}, now ${Math.floor(now)})`);
  if (claims.auth_time !== undefined) {
    check(typeof claims.auth_time === "number", `${where}: auth_time is not a number`);
    check(claims.auth_time >= now - YEAR_S, `${where}: auth_time over a year in the past`);
    check(claims.auth_time <= now + CLOCK_SKEW_S, `${where}: auth_time in the future`);
  }
  // ValidateIdTokenACRClaimAgainstRequest: acr, when present, is a string; ValidateIdToken: not empty.
  if (claims.acr !== undefined) check(typeof claims.acr === "string" && claims.acr !== "", `${where}: acr is not a non-empty string`);
}

/** CheckForSubjectInIdToken: sub present, at most 255 printable ASCII characters. */
export function checkForSubject(claims, where) {
  check(typeof claims.sub === "string" && claims.sub.length > 0, `${where}: sub missing`);
  check(claims.sub.length <= 255, `${where}: sub longer than 255 characters`);
  check(/^[\x20-\x7E]+$/.test(claims.sub), `${where}: sub has a non-printable or non-ASCII character`);
}

const isString = (v) => typeof v === "string" && v.trim() !== "" && v.toLowerCase() !== "null";
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const saneYear = (y) => y >= 1850 && y <= new Date().getUTCFullYear();
/** YYYY-MM-DD (0000 for "year withheld"), or YYYY alone; a real calendar date. */
function isBirthdate(v) {
  if (!isString(v)) return false;
  const full = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (full) {
    const [y, m, d] = full.slice(1).map(Number);
    const date = new Date(Date.UTC(y === 0 ? 2000 : y, m - 1, d)); // 2000 is a leap year like 0000
    return date.getUTCMonth() === m - 1 && date.getUTCDate() === d && (y === 0 || saneYear(y));
  }
  return /^\d+$/.test(v) && saneYear(Number(v));
}

const ADDRESS_CLAIMS = Object.fromEntries(["formatted", "street_address", "locality", "region", "postal_code", "country"].map((n) => [n, isString]));
const STANDARD_CLAIMS = {
  ...Object.fromEntries(
    [
      "sub",
      "name",
      "given_name",
      "family_name",
      "middle_name",
      "nickname",
      "preferred_username",
      "profile",
      "picture",
      "website",
      "email",
      "gender",
      "zoneinfo",
      "locale",
      "phone_number",
      "txn",
    ].map((n) => [n, isString]),
  ),
  email_verified: (v) => typeof v === "boolean",
  phone_number_verified: (v) => typeof v === "boolean",
  birthdate: isBirthdate,
  address: (v) => invalidMembers(v, ADDRESS_CLAIMS, "address"),
  updated_at: (v) => typeof v === "number",
  _claim_names: isObject,
  _claim_sources: isObject,
};

/**
 * ObjectValidator: the names of the members of `value` that fail their validator (a validator
 * says true/false, or lists the failing names inside); unknown members pass. A non-object or an
 * empty one fails as a whole.
 */
function invalidMembers(value, validators, context) {
  if (!isObject(value) || Object.keys(value).length === 0) return [`${context} (not a JSON object, or empty)`];
  return Object.entries(value).flatMap(([name, v]) => {
    const verdict = validators[name]?.(v) ?? true;
    if (Array.isArray(verdict)) return verdict;
    return verdict ? [] : [context === "claims" ? name : `${context}.${name}`];
  });
}

/** The claims only an ID token has (ValidateIdTokenStandardClaims.idTokenNonIdentityClaims). */
const ID_TOKEN_ONLY = ["iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "c_hash", "at_hash", "s_hash", "jti", "nbf", "verified_claims"];

/** AbstractValidateOpenIdStandardClaims: each standard claim present has its type (OIDC Core §5.1). */
function validateStandardClaims(claims, where) {
  const bad = invalidMembers(claims, STANDARD_CLAIMS, "claims");
  if (bad.length) throw new Failure(`${where}: invalid standard claim${bad.length > 1 ? "s" : ""} ${bad.join(", ")} (types of OIDC Core §5.1)`);
}

/** ValidateIdTokenStandardClaims: the identity claims of an ID token. */
export function validateIdTokenStandardClaims(claims, where) {
  validateStandardClaims(Object.fromEntries(Object.entries(claims).filter(([k]) => !ID_TOKEN_ONLY.includes(k))), where);
}

/** ValidateUserInfoStandardClaims, EnsureUserInfoContainsSub, EnsureUserInfoUpdatedAtValid, EnsureMemberValuesInClaimNameReferenceToMemberNamesInClaimSources. */
export function validateUserInfo(claims, now = Date.now() / 1000) {
  validateStandardClaims(claims, "userinfo");
  check(isString(claims.sub), "userinfo: sub missing");
  if (claims.updated_at !== undefined) {
    check(claims.updated_at <= now + CLOCK_SKEW_S, "userinfo: updated_at in the future");
    check(claims.updated_at >= Date.UTC(1990, 0, 1) / 1000, "userinfo: updated_at before 1990");
  }
  const names = claims._claim_names;
  const sources = claims._claim_sources;
  if (names !== undefined || sources !== undefined) {
    check(names !== undefined && sources !== undefined, "userinfo: _claim_names and _claim_sources must come together");
    const referenced = new Set(Object.values(names));
    for (const source of Object.keys(sources)) check(referenced.has(source), `userinfo: _claim_sources member ${source} is not referenced by _claim_names`);
  }
}

/** CompareIdTokenClaims (OIDC Core §12.2): the refreshed ID token against the first one. */
export function compareIdTokenClaims(first, second, where = "refreshed ID token") {
  for (const name of ["iss", "sub"]) {
    check(first[name] !== undefined && second[name] !== undefined, `${where}: ${name} missing from one of the ID tokens`);
    equal(second[name], first[name], `${where}: ${name}`);
  }
  check(first.iat !== undefined && second.iat !== undefined, `${where}: iat missing from one of the ID tokens`);
  check(second.iat !== first.iat, `${where}: iat ${second.iat} is the first ID token's; it must be the time the new one was issued`);
  check(first.aud !== undefined && second.aud !== undefined, `${where}: aud missing from one of the ID tokens`);
  const audSet = (aud) => JSON.stringify([...new Set(Array.isArray(aud) ? aud : [aud])].sort());
  if (Array.isArray(first.aud)) check(Array.isArray(second.aud) && audSet(second.aud) === audSet(first.aud), `${where}: aud differs from the first ID token's`);
  else equal(second.aud, first.aud, `${where}: aud`);
  if (second.auth_time !== undefined) equal(second.auth_time, first.auth_time, `${where}: auth_time (the original authentication's)`);
  if (first.azp === undefined) check(second.azp === undefined, `${where}: azp although the first ID token had none`);
  else equal(second.azp, first.azp, `${where}: azp`);
}
