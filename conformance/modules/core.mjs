// The modules of the Basic, Implicit and Hybrid plans (and their Form Post variants): one
// authorization through the browser and the suite's checks on what comes back. Names are the
// suite's module ids; each comment names the suite class it follows.

import * as oauth from "oauth4webapi";
import { check, checkErrorSyntax, equal, notApplicable, sleep } from "../lib/assert.mjs";
import { callbackParams, completeFlow, expectAuthorizationError, fetchUserinfo, navigate, oneLine, random, requestParams, tokenRequest } from "../lib/oidc.mjs";
import {
  authorizeAndCheck,
  checkRefreshTokenCharacters,
  checkScopeClaims,
  includes,
  pageShows,
  refreshAndCompare,
  refreshExpectingError,
  refreshOverrides,
  refreshScope,
  returnedClaims,
  sameSessionTwice,
} from "../lib/steps.mjs";

const codeOnly = (t, why = "the suite runs it only for response types with a code (VariantNotApplicable)") => {
  if (!includes(t, "code")) notApplicable(`not for response_type=${t.v.responseType}: ${why}`);
};

/** OIDCCResponseTypeMissing: an error page, or invalid_request/unsupported_response_type in the query. */
async function responseTypeMissing(t) {
  const client = await t.client();
  const params = requestParams(t, client, { response_type: undefined });
  const nav = await navigate(t, await t.session(), params);
  if (nav.callback) {
    // "response must be in url query as we didn't specify a response_type" — unless form_post was asked for.
    const p = expectAuthorizationError(t, nav, { ...params, response_type: "code" }, ["invalid_request", "unsupported_response_type"]);
    return t.note(`error redirect ${p.get("error")}`);
  }
  check(nav.page.status >= 400, `the error page answered ${nav.page.status}`);
  check(/response_type/i.test(nav.page.text), `the error page does not say the response type is missing: ${oneLine(nav.page.text)}`);
  t.note(`error page ${nav.page.status}`);
}

/** OIDCCIdTokenSignature: the happy flow; the ID token must be signed (not alg none) and verify by kid. */
async function idTokenSignature(t) {
  const { result } = await authorizeAndCheck(t);
  const alg = JSON.parse(Buffer.from(result.idTokenJwt.split(".")[0], "base64url")).alg;
  check(alg !== "none", "ID token is unsigned");
}

/** OIDCCIdTokenUnsigned: a client registered with id_token_signed_response_alg=none gets an unsecured ID token from the token endpoint. */
async function idTokenUnsigned(t) {
  if (t.v.responseType !== "code")
    notApplicable(
      "alg none is only allowed when the ID token comes from the token endpoint (OIDC Core §3.1.3.7); the suite runs it for response_type=code only",
    );
  const { result } = await authorizeAndCheck(t, { kind: "unsigned" });
  check(result.idTokenJwt.endsWith("."), "ID token has a signature");
}

const userinfo = (method) => async (t) => {
  if (t.v.responseType === "id_token") notApplicable("response_type=id_token issues no access token to call userinfo with");
  const { client, result } = await authorizeAndCheck(t, { flow: { userinfo: false } });
  const claims = await fetchUserinfo(t, client, result.accessToken, result.idToken.sub, { method });
  equal(claims.sub, result.idToken.sub, "userinfo sub");
};

/** OIDCCEnsureRequestWithoutNonceSucceedsForCodeFlow. */
async function withoutNonceSucceeds(t) {
  if (includes(t, "id_token"))
    notApplicable("suite: VariantNotApplicable for response types returning an ID token from the authorization endpoint (nonce is required there)");
  const client = await t.client();
  const params = requestParams(t, client, { nonce: undefined });
  const nav = await navigate(t, await t.session(), params);
  const p = callbackParams(t, nav, params);
  check(!p.has("error"), `authorization error ${p.get("error")}: ${p.get("error_description")}`);
  equal(p.get("state"), params.state, "state");
  check(p.get("code"), "no code");
}

/** OIDCCEnsureRequestWithoutNonceFails: an error at the redirect URI, or an error page. */
async function withoutNonceFails(t) {
  if (!includes(t, "id_token"))
    notApplicable("suite: VariantNotApplicable for code and code token (no ID token from the authorization endpoint, so nonce is optional)");
  const client = await t.client();
  const params = requestParams(t, client, { nonce: undefined });
  const nav = await navigate(t, await t.session(), params);
  if (!nav.callback) {
    check(
      nav.page.status >= 400 && /nonce/i.test(nav.page.text),
      `neither an error redirect nor an error page about nonce: ${nav.page.status} ${oneLine(nav.page.text)}`,
    );
    return t.note("error page");
  }
  expectAuthorizationError(t, nav, params, ["invalid_request"]);
}

const scope = (scopes) => async (t) => {
  const { result } = await authorizeAndCheck(t, { overrides: { scope: ["openid", ...scopes].join(" ") } });
  checkScopeClaims(result, scopes);
};

/** OIDCCAlternateHappyFlow: scope order reversed and parameters in another order. */
async function alternateHappyFlow(t) {
  const client = await t.client();
  const base = requestParams(t, client, { scope: "email openid" });
  const reordered = Object.fromEntries(Object.entries(base).reverse());
  const nav = await navigate(t, await t.session(), reordered);
  const result = await completeFlow(t, client, reordered, nav);
  checkScopeClaims(result, ["email"]);
}

const withParams = (extra) => async (t) => {
  await authorizeAndCheck(t, { overrides: extra });
};

/**
 * OIDCCEnsureRequestWithAcrValuesSucceeds: acr_values with every advertised acr_values_supported
 * value ("1 2" if none; OIDCCAddAcrValuesToAuthorizationEndpointRequest); an acr outside them is
 * only a warning (ValidateIdTokenACRClaimAgainstAcrValuesRequest).
 */
async function acrValues(t) {
  const requested = t.ctx.as.acr_values_supported ?? ["1", "2"];
  const { result } = await authorizeAndCheck(t, { overrides: { acr_values: requested.join(" ") } });
  for (const [where, claims] of [
    ["authorization endpoint", result.authIdToken],
    ["token endpoint", result.tokenIdToken],
  ])
    if (claims && !requested.includes(claims.acr))
      t.note(`warning: the ${where}'s ID token has acr ${JSON.stringify(claims.acr)}, none of the requested ${requested.join(" ")}`);
}

/** OIDCCPromptLogin: the second authorization with prompt=login shows the login form again; auth_time differs. */
async function promptLogin(t) {
  const first = await authorizeAndCheck(t);
  await sleep(1100); // auth_time has second resolution
  const again = await authorizeAndCheck(t, { client: first.client, session: first.session, overrides: { prompt: "login" } });
  check(again.nav.pages.includes("login"), `prompt=login did not show the login page (pages: ${again.nav.pages.join(",") || "none"})`);
  const [a, b] = [first.result.idToken.auth_time, again.result.idToken.auth_time];
  if (a !== undefined && b !== undefined) check(b > a, `auth_time did not change after the second login (${a} → ${b})`);
}

/** OIDCCPromptNoneNotLoggedIn: login_required (or another "needs a user" error) at the redirect URI, long state intact. */
async function promptNoneNotLoggedIn(t) {
  const client = await t.client();
  const params = requestParams(t, client, { prompt: "none", state: random().repeat(6).slice(0, 128) });
  const nav = await navigate(t, await t.session(), params);
  const p = expectAuthorizationError(t, nav, params, ["login_required", "interaction_required", "consent_required", "account_selection_required"]);
  checkErrorSyntax(Object.fromEntries(p), "authorization error");
}

/** OIDCCPromptNoneLoggedIn: a second, silent authorization succeeds. */
async function promptNoneLoggedIn(t) {
  await sameSessionTwice(t, () => ({ prompt: "none" }));
}

/** OIDCCMaxAge1: after 2 s, max_age=1 forces a new login; auth_time present, later and recent. */
async function maxAge1(t) {
  const first = await authorizeAndCheck(t);
  await sleep(2000);
  const again = await authorizeAndCheck(t, { client: first.client, session: first.session, overrides: { max_age: "1" }, flow: { maxAge: 1 } });
  check(again.nav.pages.includes("login"), `max_age=1 did not show the login page (pages: ${again.nav.pages.join(",") || "none"})`);
  const at = again.result.idToken.auth_time;
  check(Number.isInteger(at), "auth_time missing");
  if (first.result.idToken.auth_time !== undefined) check(at > first.result.idToken.auth_time, "auth_time is not later than the first login");
  check(Math.abs(Date.now() / 1000 - at) < 300, "auth_time is not recent");
}

/** OIDCCMaxAge10000: the second authorization with max_age=10000 is silent and carries auth_time. */
async function maxAge10000(t) {
  const { again } = await sameSessionTwice(t, () => ({ max_age: "10000" }), { flow: { maxAge: 10000 } });
  check(Number.isInteger(again.result.idToken.auth_time), "auth_time missing although max_age was requested");
}

/** OIDCCIdTokenHint: prompt=none with the first ID token as id_token_hint succeeds silently. */
async function idTokenHint(t) {
  await sameSessionTwice(t, (first) => ({ prompt: "none", id_token_hint: first.result.idTokenJwt }));
}

/** OIDCCAuthCodeReuse / …After30Seconds: the second redemption gets 400 invalid_grant; the first access token should stop working. */
const codeReuse = (waitMs) => async (t) => {
  codeOnly(t);
  const { client, params, result } = await authorizeAndCheck(t);
  if (waitMs) await sleep(waitMs);
  const again = await tokenRequest(t, client, { grant_type: "authorization_code", code: result.params.get("code"), redirect_uri: params.redirect_uri });
  equal(again.status, 400, "status of the second redemption");
  check(/^application\/json/.test(again.contentType), `content-type ${again.contentType}`);
  equal(again.body.error, "invalid_grant", "error");
  checkErrorSyntax(again.body, "token error");
  if (waitMs) {
    const res = await fetch(t.ctx.as.userinfo_endpoint, { headers: { authorization: `Bearer ${result.accessToken}` } });
    if (res.ok) t.note("warning: the first access token still works after the code was reused (RFC 6749 §4.1.2 SHOULD)");
  }
};

/** OIDCCEnsureRegisteredRedirectUri: an unregistered redirect_uri must not be redirected to; the browser sees an error page. */
async function registeredRedirectUri(t) {
  const client = await t.client();
  const params = requestParams(t, client, { redirect_uri: `${t.ctx.redirectUri}/${random()}` });
  const nav = await navigate(t, await t.session(), params, { redirectBase: t.ctx.rp.origin });
  const page = pageShows(nav, "an error page for the unregistered redirect_uri");
  check(page.status >= 400, `the page answered ${page.status}`);
  check(/redirect/i.test(page.text), `the error page does not mention the redirect URI: ${oneLine(page.text)}`);
  t.note(`error page ${page.status}`);
}

/** OIDCCEnsurePostRequestSucceeds: the authorization request as an HTML form POST. */
async function postRequest(t) {
  await authorizeAndCheck(t, { method: "POST" });
}

/** OIDCCServerClientSecretPost: the flow with a client_secret_post client. */
async function clientSecretPost(t) {
  codeOnly(t, "client authentication only happens at the token endpoint");
  await authorizeAndCheck(t, { kind: "post" });
}

/** OIDCCClaimsEssential: claims={"userinfo":{"name":{"essential":true}}} (id_token for response_type=id_token). */
async function claimsEssential(t) {
  const where = t.v.responseType === "id_token" ? "id_token" : "userinfo";
  const { result } = await authorizeAndCheck(t, { overrides: { claims: JSON.stringify({ [where]: { name: { essential: true } } }) } });
  check(returnedClaims(result).name !== undefined, `essential claim name missing from ${where}`);
}

/**
 * OIDCCRefreshToken: offline_access with prompt=consent for two clients; each refreshes (the first
 * with its scope, the second without) and the new ID token keeps the first's claims; then the
 * second client's refresh token presented by the first fails.
 */
async function refreshToken(t) {
  codeOnly(t);
  const scope = refreshScope(t);
  const first = await authorizeAndCheck(t, { overrides: refreshOverrides(scope) });
  const rt = first.result.tokens.refresh_token;
  if (!rt) notApplicable("no refresh token was issued (the suite skips)");
  checkRefreshTokenCharacters(rt);
  const refreshed = await refreshAndCompare(t, first.client, first.result, { refreshToken: rt, scope });
  check(refreshed.tokens.access_token !== first.result.accessToken, "no new access token");
  // The second client asks with a 43-character nonce (the suite's requested_nonce_length).
  const other = await authorizeAndCheck(t, { kind: "post", overrides: { ...refreshOverrides(scope), nonce: random(32) } });
  const otherRt = other.result.tokens.refresh_token;
  if (!otherRt) notApplicable("no refresh token was issued to the second client (the suite skips)");
  checkRefreshTokenCharacters(otherRt);
  const otherRefreshed = await refreshAndCompare(t, other.client, other.result, { refreshToken: otherRt });
  await refreshExpectingError(t, first.client, otherRefreshed.tokens.refresh_token ?? otherRt, { scope });
}

/** OIDCCEnsureRequestWithValidPkceSucceeds. */
async function validPkce(t) {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  await authorizeAndCheck(t, {
    overrides: { code_challenge: challenge, code_challenge_method: "S256" },
    flow: { pkceVerifier: includes(t, "code") ? verifier : undefined },
  });
}

export default [
  { id: "oidcc-server", run: (t) => authorizeAndCheck(t) },
  { id: "oidcc-response-type-missing", run: responseTypeMissing },
  { id: "oidcc-idtoken-signature", run: idTokenSignature },
  { id: "oidcc-idtoken-unsigned", run: idTokenUnsigned },
  { id: "oidcc-userinfo-get", run: userinfo("GET") },
  { id: "oidcc-userinfo-post-header", run: userinfo("POST-header") },
  { id: "oidcc-userinfo-post-body", run: userinfo("POST-body") },
  { id: "oidcc-ensure-request-without-nonce-succeeds-for-code-flow", run: withoutNonceSucceeds },
  { id: "oidcc-ensure-request-without-nonce-fails", run: withoutNonceFails },
  { id: "oidcc-scope-profile", run: scope(["profile"]) },
  { id: "oidcc-scope-email", run: scope(["email"]) },
  { id: "oidcc-scope-address", run: scope(["address"]) },
  { id: "oidcc-scope-phone", run: scope(["phone"]) },
  { id: "oidcc-scope-all", run: scope(["profile", "email", "address", "phone"]) },
  { id: "oidcc-alternate-happy-flow", run: alternateHappyFlow },
  { id: "oidcc-display-page", run: withParams({ display: "page" }) },
  { id: "oidcc-display-popup", run: withParams({ display: "popup" }) },
  { id: "oidcc-prompt-login", run: promptLogin },
  { id: "oidcc-prompt-none-not-logged-in", run: promptNoneNotLoggedIn },
  { id: "oidcc-prompt-none-logged-in", run: promptNoneLoggedIn },
  { id: "oidcc-max-age-1", run: maxAge1 },
  { id: "oidcc-max-age-10000", run: maxAge10000 },
  { id: "oidcc-ensure-request-with-unknown-parameter-succeeds", run: withParams({ extra: "foobar" }) },
  { id: "oidcc-id-token-hint", run: idTokenHint },
  { id: "oidcc-login-hint", run: withParams({ login_hint: "alice" }) },
  { id: "oidcc-ui-locales", run: withParams({ ui_locales: "se" }) },
  { id: "oidcc-claims-locales", run: withParams({ claims_locales: "se" }) },
  { id: "oidcc-ensure-request-with-acr-values-succeeds", run: acrValues },
  { id: "oidcc-codereuse", run: codeReuse(0) },
  { id: "oidcc-codereuse-30seconds", run: codeReuse(30_000), slow: true },
  { id: "oidcc-ensure-registered-redirect-uri", run: registeredRedirectUri },
  { id: "oidcc-ensure-post-request-succeeds", run: postRequest },
  { id: "oidcc-server-client-secret-post", run: clientSecretPost },
  { id: "oidcc-claims-essential", run: claimsEssential },
  { id: "oidcc-refresh-token", run: refreshToken },
  { id: "oidcc-ensure-request-with-valid-pkce-succeeds", run: validPkce },
];
