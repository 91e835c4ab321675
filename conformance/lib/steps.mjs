// The flows modules compose: one authorization (with whatever the module adds), the second
// authorization of the "same session twice" modules, and the request-object helpers.
import * as jose from "jose";
import { check, equal, Failure, notApplicable, sleep } from "./assert.mjs";
import { completeFlow, navigate, requestParams, oneLine } from "./oidc.mjs";

export const includes = (t, part) => t.v.responseType.split(" ").includes(part);
export const isCodeFlow = (t) => t.v.responseType === "code";

/** One authorization in `session` (a fresh one unless given), then the full response checks. */
export async function authorizeAndCheck(t, { kind = "main", client, session, overrides = {}, method, expectPages, flow = {} } = {}) {
  client ??= await t.client(kind);
  session ??= await t.session();
  const params = requestParams(t, client, overrides);
  const nav = await navigate(t, session, params, { method });
  if (expectPages) equal(nav.pages.join(","), expectPages.join(","), "interaction pages shown");
  const result = await completeFlow(t, client, params, nav, flow);
  return { client, session, params, nav, result };
}

/** AbstractOIDCCSameAuthTwiceServerTest: a first login, then `second` overrides in the same browser. */
export async function sameSessionTwice(t, second, { expectPages = [], flow } = {}) {
  const first = await authorizeAndCheck(t);
  const again = await authorizeAndCheck(t, { client: first.client, session: first.session, overrides: second(first), expectPages, flow });
  // suite: CheckIdTokenSubConsistentHybridFlow / auth_time consistency
  equal(again.result.idToken.sub, first.result.idToken.sub, "sub of the second ID token");
  if (first.result.idToken.auth_time !== undefined && again.result.idToken.auth_time !== undefined)
    equal(again.result.idToken.auth_time, first.result.idToken.auth_time, "auth_time of the second ID token (no new login)");
  return { first, again };
}

/** Claims a scope releases (OIDC Core §5.4) that alice has; the suite's ValidateUserInfoStandardClaims for the scope. */
export const SCOPE_CLAIMS = {
  profile: [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
  ],
  email: ["email", "email_verified"],
  address: ["address"],
  phone: ["phone_number", "phone_number_verified"],
};

/**
 * The claims a response returned for the scopes: from userinfo when an access token was
 * issued, else (response_type=id_token) from the ID token (OIDC Core §5.4).
 */
export function returnedClaims(result) {
  return result.userinfo ?? result.idToken;
}

export function checkScopeClaims(result, scopes) {
  const claims = returnedClaims(result);
  for (const scope of scopes)
    for (const name of SCOPE_CLAIMS[scope])
      check(claims[name] !== undefined, `claim ${name} (scope ${scope}) missing from ${result.userinfo ? "userinfo" : "the ID token"}`);
  // Their types: validateIdTokenStandardClaims / validateUserInfo, on every ID token and userinfo response.
}

/** An unsecured request object (alg none) for `params`, as the suite serialises it (SerializeRequestObjectWithNullAlgorithm). */
export function unsignedRequestObject(t, params, extraClaims = {}) {
  return new jose.UnsecuredJWT({ ...params, iss: params.client_id, aud: t.ctx.as.issuer, ...extraClaims }).encode();
}

/** Skips as the suite does when the OP does not take request objects of this kind. */
export function skipUnlessNoneRequestObjects(t) {
  const algs = t.ctx.as.request_object_signing_alg_values_supported;
  if (!algs?.includes("none"))
    notApplicable(`the OP does not list "none" in request_object_signing_alg_values_supported (${JSON.stringify(algs ?? null)}); the suite skips this module`);
}

export function pageShows(nav, what) {
  if (nav.callback) throw new Failure(`expected ${what}, but the browser was sent to the RP: ${nav.callback.url}`);
  return nav.page;
}

export { sleep, oneLine };
