// The flows modules compose: one authorization (with whatever the module adds), the second
// authorization of the "same session twice" modules, and the request-object helpers.
import { createHash, randomBytes } from "node:crypto";
import * as jose from "jose";
import * as oauth from "oauth4webapi";
import { check, checkErrorSyntax, equal, Failure, notApplicable, sleep } from "./assert.mjs";
import { compareIdTokenClaims } from "./claims.mjs";
import {
  checkIdToken,
  clientAuth,
  completeFlow,
  fetchUserinfo,
  httpOptions,
  navigate,
  oauthErrorDetail,
  oneLine,
  requestParams,
  tokenRequest,
} from "./oidc.mjs";

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

/** The scope the refresh modules ask for (SetScopeInClientConfigurationToOpenIdOfflineAccessIfServerSupportsOfflineAccess). */
export const refreshScope = (t) => (t.ctx.as.scopes_supported?.includes("offline_access") ? "openid offline_access" : "openid");

/** AddPromptConsentToAuthorizationEndpointRequestIfScopeContainsOfflineAccess (OIDC Core §11). */
export const refreshOverrides = (scope) => ({ scope, ...(scope.split(" ").includes("offline_access") ? { prompt: "consent" } : {}) });

const VSCHAR = /^[\x20-\x7E]+$/;

/** AbstractEnsureMinimumEntropy: Shannon entropy per character × length, in bits. */
export function shannonBits(s) {
  const counts = new Map();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  const n = [...s].length;
  let perChar = 0;
  for (const k of counts.values()) perChar -= (k / n) * Math.log2(k / n);
  return perChar * s.length;
}

/** EnsureRefreshTokenContainsAllowedCharactersOnly (RFC 6749 Appendix A.17). */
export function checkRefreshTokenCharacters(refreshToken) {
  check(VSCHAR.test(refreshToken), "refresh token has characters outside VSCHAR (RFC 6749 A.17)");
}

/**
 * RefreshTokenRequestSteps: one second later (so iat differs), the refresh token at the token
 * endpoint, with `scope` when given (AddScopeToTokenEndpointRequest; the suite's second client
 * sends none). Then the response's status, content type and Cache-Control: no-store, the new
 * tokens, the new ID token against the first (CompareIdTokenClaims), and userinfo with the new
 * access token (requestProtectedResource). `first` is the first flow's result.
 */
export async function refreshAndCompare(t, client, first, { refreshToken, scope }) {
  await sleep(1000); // WaitForOneSecond
  const { as } = t.ctx;
  const oc = { client_id: client.client_id, id_token_signed_response_alg: client.id_token_signed_response_alg ?? "RS256" };
  const res = await oauth.refreshTokenGrantRequest(as, oc, clientAuth(client, as), refreshToken, {
    ...httpOptions(as.issuer),
    ...(scope ? { additionalParameters: { scope } } : {}),
  });
  // CheckTokenEndpointHttpStatus200, CheckTokenEndpointReturnedJsonContentType, CheckTokenEndpointCacheHeaders
  if (res.status !== 200) throw new Failure(`refresh answered ${res.status}: ${oneLine(await res.text())}`);
  check(/^application\/json/.test(res.headers.get("content-type") ?? ""), `refresh response content-type ${res.headers.get("content-type")}`);
  checkNoStore(res.headers, "refresh response");
  const tokens = await oauth.processRefreshTokenResponse(as, oc, res).catch(async (e) => {
    throw new Failure(`refresh: ${e.message}${await oauthErrorDetail(e)}`);
  });
  // CheckTokenTypeIsBearer, EnsureAccessTokenContainsAllowedCharactersOnly, EnsureMinimumAccessTokenEntropy
  check(/^bearer$/i.test(tokens.token_type ?? ""), `refresh response token_type ${tokens.token_type}`);
  check(VSCHAR.test(tokens.access_token ?? ""), "refreshed access token missing or has characters outside VSCHAR (RFC 6749 A.12)");
  check(shannonBits(tokens.access_token) > 96, "refreshed access token has under 96 bits of estimated entropy");
  if (tokens.expires_in !== undefined)
    check(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0, "refresh response expires_in not a positive integer");
  if (tokens.refresh_token !== undefined) {
    // EnsureMinimumRefreshTokenLength, EnsureMinimumRefreshTokenEntropy (RFC 6749 §10.10)
    checkRefreshTokenCharacters(tokens.refresh_token);
    check(Buffer.byteLength(tokens.refresh_token) * 8 >= 128, "new refresh token shorter than 128 bits");
    check(shannonBits(tokens.refresh_token) > 96, "new refresh token has under 96 bits of estimated entropy");
  }
  let claims;
  if (tokens.id_token) {
    claims = await checkIdToken(t, client, tokens.id_token, {
      code: first.params.get("code") ?? undefined,
      accessToken: tokens.access_token,
      from: "refresh response",
    });
    compareIdTokenClaims(first.idToken, claims);
  }
  const userinfo = await fetchUserinfo(t, client, tokens.access_token, first.idToken.sub, { which: "the refreshed access token" });
  return { tokens, claims, userinfo };
}

/** RefreshTokenRequestExpectingErrorSteps: a refresh token `client` must not be able to use: 400 invalid_grant, in JSON. */
export async function refreshExpectingError(t, client, refreshToken, { scope }) {
  const res = await tokenRequest(t, client, { grant_type: "refresh_token", refresh_token: refreshToken, ...(scope ? { scope } : {}) });
  checkErrorSyntax(res.body, "refresh error"); // ValidateErrorFromTokenEndpointResponseError
  equal(res.status, 400, "status for another client's refresh token");
  check(/^application\/json/.test(res.contentType), `refresh error content-type ${res.contentType}`);
  equal(res.body.error, "invalid_grant", "error for another client's refresh token");
}

/** AbstractValidateResponseCacheHeaders: Cache-Control has a no-store directive. */
export function checkNoStore(headers, what) {
  const cc = headers.get("cache-control");
  check(cc, `${what} has no Cache-Control header`);
  check(
    cc.split(",").some((d) => d.trim() === "no-store"),
    `${what} Cache-Control is "${cc}", without no-store`,
  );
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

/** skipTestIfNoneUnsupported: skips when the OP lists request object algorithms without "none" (not when it lists none at all). */
export function skipUnlessNoneRequestObjects(t) {
  const algs = t.ctx.as.request_object_signing_alg_values_supported;
  if (Array.isArray(algs) && !algs.includes("none"))
    notApplicable(`the OP does not list "none" in request_object_signing_alg_values_supported (${JSON.stringify(algs)}); the suite skips this module`);
}

/**
 * OIDC Core §6.1/§6.2: the parameters also sent in the query beside a request object
 * (AbstractBuildRequestObjectRedirectToAuthorizationEndpoint's REQUIRED_DUPLICATES).
 */
export const outerParams = (params) => ({
  client_id: params.client_id,
  response_type: params.response_type,
  scope: params.scope,
  redirect_uri: params.redirect_uri,
});

/**
 * A request_uri served by the RP, with a fragment as CreateRandomRequestUriWithFragment makes
 * it (OIDC Core §6.2: a hash of the contents); registered and sent with the fragment.
 */
export function requestUri(t, body) {
  const url = t.ctx.rp.host("application/oauth-authz-req+jwt", body);
  return `${url}#${createHash("sha256").update(randomBytes(48)).digest("base64url")}`;
}

export function pageShows(nav, what) {
  if (nav.callback) throw new Failure(`expected ${what}, but the browser was sent to the RP: ${nav.callback.url}`);
  return nav.page;
}

export { oneLine, sleep };
