// The logout plans: RP-Initiated Logout, Back-Channel Logout, Front-Channel Logout and Session
// Management (their discovery modules and their rp-initiated-logout modules), and the
// Third-Party-Initiated Login plan. Each module follows the suite class its comment names
// (openid-certification/conformance-suite 12f2a4d: openid/AbstractOIDCCRpInitiatedLogout.java
// and its subclasses, condition/client/*Logout*, *Session*, *InitiateLoginUri*).
import { randomBytes } from "node:crypto";
import * as jose from "jose";
import { check, equal, Failure } from "../lib/assert.mjs";
import { expectAuthorizationError, navigate, oneLine, random, requestParams, verifyOpJws } from "../lib/oidc.mjs";
import { authorizeAndCheck } from "../lib/steps.mjs";

const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
/** CheckErrorFromAuthorizationEndpointIsOneThatRequiredAUserInterface */
const NEEDS_A_USER = ["login_required", "interaction_required", "account_selection_required", "consent_required"];

const isLoopback = (u) => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(u).hostname);

/**
 * AbstractJsonUriIsValidAndHttps: the member is a URL with the https scheme. The local OP's
 * issuer is loopback http by design; then the member must share the issuer's origin (noted).
 */
function httpsUri(t, key) {
  const value = t.ctx.as[key];
  check(value !== undefined, `${key}: URL not found in discovery`);
  check(typeof value === "string" && URL.canParse(value), `${key} is not a valid URL`);
  if (isLoopback(t.ctx.as.issuer)) return check(new URL(value).origin === new URL(t.ctx.as.issuer).origin, `${key} leaves the issuer's origin`);
  equal(new URL(value).protocol, "https:", `${key} scheme`);
}

/** CheckDiscEndpointAllEndpointsAreHttps: every *_endpoint member. */
function allEndpointsHttps(t) {
  for (const key of Object.keys(t.ctx.as).filter((k) => k.endsWith("_endpoint"))) httpsUri(t, key);
  if (isLoopback(t.ctx.as.issuer)) t.note("https: loopback development issuer over http; every endpoint shares its origin");
}

/** AbstractValidateJsonBoolean with required value true and default false. */
function booleanTrue(t, key) {
  const value = t.ctx.as[key];
  check(value !== undefined, `'${key}' should be 'true', but is absent and the default value is 'false'`);
  check(typeof value === "boolean", `${key}: incorrect type, must be a boolean`);
  check(value === true, `${key} must be: true`);
}

/** EnsureDiscoveryEndpointResponseStatusCodeIs200, CheckDiscoveryEndpointReturnedJsonContentType */
function discoveryResponseChecks(t) {
  equal(t.ctx.raw.status, 200, "discovery status");
  check(/^application\/json/.test(t.ctx.raw.contentType ?? ""), `discovery content-type ${t.ctx.raw.contentType}`);
}

/** OIDCCRpInitiatedLogoutDiscoveryEndpointVerification */
function rpInitiatedDiscovery(t) {
  allEndpointsHttps(t);
  httpsUri(t, "end_session_endpoint"); // CheckDiscEndSessionEndpoint
}

/** OIDCCBackchannelLogoutDiscoveryEndpointVerification */
function backchannelDiscovery(t) {
  allEndpointsHttps(t);
  booleanTrue(t, "backchannel_logout_supported");
  booleanTrue(t, "backchannel_logout_session_supported");
  httpsUri(t, "end_session_endpoint");
}

/** OIDCCFrontchannelLogoutDiscoveryEndpointVerification */
function frontchannelDiscovery(t) {
  discoveryResponseChecks(t);
  allEndpointsHttps(t);
  booleanTrue(t, "frontchannel_logout_supported");
  booleanTrue(t, "frontchannel_logout_session_supported");
  httpsUri(t, "end_session_endpoint");
}

/** OIDCCSessionManagementDiscoveryEndpointVerification */
function sessionManagementDiscovery(t) {
  discoveryResponseChecks(t);
  httpsUri(t, "check_session_iframe"); // CheckDiscCheckSessionIframe
  httpsUri(t, "end_session_endpoint");
}

/**
 * CreateRandomEndSessionState: 50 VSCHAR characters (RFC 6749 Appendix A.5), '+', ' ' and ';'
 * replaced by '~' as the suite does; so the state carries '&', '#', '%', '"', '<' and the like.
 */
function endSessionState() {
  const bytes = randomBytes(50);
  return [...bytes].map((b) => String.fromCharCode(0x21 + (b % 94)).replace(/[+;]/, "~")).join("");
}

/**
 * AbstractOIDCCRpInitiatedLogout: a client with a post_logout_redirect_uri (CreatePostLogoutRedirectUri,
 * AddPostLogoutRedirectUriToDynamicRegistrationRequest) and `extra` metadata, its first
 * authorization with a 128-character state (requested_state_length), all the suite's checks.
 */
async function loggedIn(t, extra = {}, { origin = t.ctx.rp.origin } = {}) {
  const postLogoutRedirectUri = `${origin}/post_logout_redirect/${random(9)}`;
  const redirectUri = `${origin}/cb`;
  const client = await t.register({
    response_types: ["code"],
    grant_types: ["authorization_code", "refresh_token"],
    token_endpoint_auth_method: "client_secret_basic",
    client_name: `conformance ${t.v.label}`,
    redirect_uris: [redirectUri, `${redirectUri}?dummy1=lorem&dummy2=ipsum`],
    post_logout_redirect_uris: [postLogoutRedirectUri],
    ...extra,
  });
  const session = await t.session();
  const redirect = { ...t, ctx: { ...t.ctx, redirectBase: redirectUri, redirectUri } };
  const { result } = await authorizeAndCheck(redirect, { client, session, overrides: { state: random(96), redirect_uri: redirectUri } });
  return { client, session, result, postLogoutRedirectUri, redirectUri, redirectCtx: redirect };
}

/** CreateEndSessionEndpointRequest + BuildRedirectToEndSessionEndpoint: the browser to the end_session_endpoint with these query parameters. */
function endSession(t, session, params, opts = {}) {
  const url = new URL(t.ctx.as.end_session_endpoint);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return session.authorize(url, { redirectBase: t.ctx.rp.origin, ...opts });
}

/** The post_logout_redirect_uri request: the browser must have been sent there, to exactly that URI. */
function postLogoutRedirect(nav, uri) {
  if (!nav.callback)
    throw new Failure(`the OP did not redirect to the post_logout_redirect_uri; it stopped on a ${nav.page?.status} page: ${oneLine(nav.page?.text)}`);
  const back = new URL(nav.callback.url);
  equal(back.origin + back.pathname, uri, "post logout redirect target");
  return back.searchParams;
}

/** CheckPostLogoutState / CheckNoPostLogoutState, and CheckForUnexpectedParametersInPostLogoutRedirect (a warning). */
function checkPostLogoutParams(t, query, state) {
  if (state === undefined) check(!query.has("state"), "state present in query params passed to post logout redirect uri, but no state was passed to request");
  else {
    check(query.has("state"), "state not present in query params passed to post logout redirect uri");
    equal(query.get("state"), state, "state passed to the post_logout_redirect_uri");
  }
  const unexpected = [...query.keys()].filter((k) => k !== "state");
  if (unexpected.length) t.note(`warning: post_logout_redirect includes unexpected parameters ${unexpected.join(", ")}`);
}

/** performAuthorizationFlow with prompt=none (AddPromptNoneToAuthorizationEndpointRequest): an error that needs a user, since the user logged out. */
async function promptNoneFails(t, client, session, redirectCtx = t) {
  const params = requestParams(redirectCtx, client, { prompt: "none", redirect_uri: redirectCtx.ctx.redirectUri });
  const nav = await navigate(redirectCtx, session, params);
  expectAuthorizationError(redirectCtx, nav, params, NEEDS_A_USER);
}

/** The OP must not redirect back: an error page, or a confirmation that asks the user (ExpectInvalidIdTokenHintErrorPage and the like). */
function errorOrConfirmation(t, nav, what) {
  if (nav.callback) throw new Failure(`OP has incorrectly called ${nav.callback.url.origin}${nav.callback.url.pathname} ${what}`);
  const confirmation = nav.pages.includes("logout-confirmation");
  check(
    confirmation || (nav.page.status >= 400 && /id="error"/.test(nav.page.html)),
    `neither an error page nor a logout confirmation: ${nav.page.status} ${oneLine(nav.page.text)}`,
  );
  t.note(
    confirmation
      ? "the OP asked the user to confirm"
      : `error page ${nav.page.status}: ${oneLine(/id="error_description">([^<]*)/.exec(nav.page.html)?.[1] ?? "")}`,
  );
}

/** ExpectSuccessfulLogoutPage: the signed-out page (the suite takes a screenshot); the runner then checks the logout took effect (stricter). */
async function successfulLogoutPage(t, nav, client, session, redirectCtx) {
  if (nav.callback) throw new Failure(`OP has incorrectly called ${nav.callback.url} when it wasn't in the request`);
  check(nav.page.status === 200 && /id="signed-out"/.test(nav.page.html), `not the signed-out page: ${nav.page.status} ${oneLine(nav.page.text)}`);
  await promptNoneFails(t, client, session, redirectCtx);
  t.note(`signed-out page${nav.pages.includes("logout-confirmation") ? " after the user confirmed" : ""}; prompt=none afterwards: login needed`);
}

/** OIDCCRpInitiatedLogout / OIDCCRpInitiatedLogoutNoState. */
const rpInitiatedLogout =
  ({ withState = true } = {}) =>
  async (t) => {
    const { client, session, result, postLogoutRedirectUri, redirectCtx } = await loggedIn(t);
    const state = withState ? endSessionState() : undefined;
    const nav = await endSession(t, session, { id_token_hint: result.idTokenJwt, post_logout_redirect_uri: postLogoutRedirectUri, state });
    checkPostLogoutParams(t, postLogoutRedirect(nav, postLogoutRedirectUri), state);
    await promptNoneFails(t, client, session, redirectCtx);
  };

/** The modules where the OP must not redirect back: `change` builds the end-session request from the usual one. */
const mustNotRedirect = (what, change) => async (t) => {
  const { client, session, result, postLogoutRedirectUri } = await loggedIn(t);
  const base = { id_token_hint: result.idTokenJwt, post_logout_redirect_uri: postLogoutRedirectUri, state: endSessionState() };
  const nav = await endSession(t, session, await change(base, { t, client, result, postLogoutRedirectUri }));
  errorOrConfirmation(t, nav, what);
};

/** The modules that end on the signed-out page; the runner confirms when the OP asks (the user's part). */
const endsSignedOut = (change) => async (t) => {
  const { client, session, result, postLogoutRedirectUri, redirectCtx } = await loggedIn(t);
  const base = { id_token_hint: result.idTokenJwt, post_logout_redirect_uri: postLogoutRedirectUri, state: endSessionState() };
  const nav = await endSession(t, session, change(base), { logout: "confirm" });
  await successfulLogoutPage(t, nav, client, session, redirectCtx);
};

/** ChangeIdTokenToAlgNone: the ID token's payload under an alg none header, no signature. */
const algNone = (jwt) => `${Buffer.from('{"alg":"none"}').toString("base64url")}.${jwt.split(".")[1]}.`;

/** GenerateFakeIdTokenClaims + SignFakeIdToken (GenerateJWKsFromClientSecret): an "ID token" the client signed with its secret. */
function fakeIdToken(t, client) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ iss: client.client_id, sub: "SubjectID", aud: t.ctx.as.issuer, nonce: "flibble", iat: now, exp: now + 300 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(client.client_secret));
}

/**
 * OIDCCBackChannelRpInitiatedLogout: the client registers a backchannel_logout_uri with
 * backchannel_logout_session_required; the OP must POST it a logout token and send the browser
 * to the post_logout_redirect_uri (in either order); validateLogoutResults, then prompt=none.
 */
async function backchannelLogout(t) {
  const receiver = t.ctx.rp.receiver("backchannel_logout");
  const { client, session, result, postLogoutRedirectUri, redirectCtx } = await loggedIn(t, {
    backchannel_logout_uri: receiver.url,
    backchannel_logout_session_required: true,
  });
  const state = endSessionState();
  const nav = await endSession(t, session, { id_token_hint: result.idTokenJwt, post_logout_redirect_uri: postLogoutRedirectUri, state });
  const query = postLogoutRedirect(nav, postLogoutRedirectUri);
  const [request, ...more] = await receiver.next(1);
  check(request, "the OP did not call the backchannel_logout_uri within 10 s of the logout");
  if (more.length) t.note(`warning: ${more.length + 1} back-channel requests`);
  // EnsureIncomingTls12WithSecureCipherOrTls13 / EnsureIncomingTls13 are warnings the suite raises over TLS; here the RP is loopback http.
  equal(request.method, "POST", "back-channel logout request method (OIDC Back-Channel Logout §2.5)");
  check(/^application\/x-www-form-urlencoded/.test(request.headers["content-type"] ?? ""), `back-channel content-type ${request.headers["content-type"]}`);
  const form = new URLSearchParams(request.body);
  // ValidateLogoutTokenFromBackchannelLogoutRequestEncryption: skipped, the client registered no keys (INFO).
  const token = form.get("logout_token"); // ExtractLogoutTokenFromBackchannelLogoutRequest
  check(token && token.split(".").length === 3, "logout_token missing from the back-channel request, or not a JWS");
  const unexpected = [...form.keys()].filter((k) => k !== "logout_token"); // CheckForUnexpectedParametersInBackchannelLogoutRequest
  if (unexpected.length) t.note(`warning: back-channel request includes unexpected parameters ${unexpected.join(", ")}`);
  // ValidateLogoutTokenSignature: by kid against the OP's keys, with the client's ID token alg.
  const { header, claims } = await verifyOpJws(t, token, client.id_token_signed_response_alg ?? "RS256");
  validateLogoutTokenClaims(t, claims, client);
  if (claims.sub !== undefined) equal(claims.sub, result.idToken.sub, "logout token sub vs the ID token's (CheckIdTokenSubMatchesLogoutToken)");
  if (claims.sid !== undefined) equal(claims.sid, result.idToken.sid, "logout token sid vs the ID token's (CheckIdTokenSidMatchesLogoutToken)");
  check(claims.nonce === undefined, "Logout token has a nonce, which it must not (CheckLogoutTokenNoNonce)");
  check(claims.sub !== undefined || claims.sid !== undefined, "logout token has neither sub nor sid (CheckLogoutTokenHasSubOrSid)");
  // Stricter than the suite: OIDC Back-Channel Logout §2.4 recommends typ logout+jwt (RFC 8725 §3.11).
  equal(header.typ, "logout+jwt", "logout token typ");
  checkPostLogoutParams(t, query, state);
  await promptNoneFails(t, client, session, redirectCtx);
}

/** ValidateLogoutTokenClaims: iss, aud, iat (at most 5 min ahead, at most a day old), jti, events with exactly the back-channel logout event as {}. */
function validateLogoutTokenClaims(t, claims, client) {
  equal(claims.iss, t.ctx.as.issuer, "logout token iss");
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  check(aud.includes(client.client_id), `logout token aud ${JSON.stringify(claims.aud)} does not contain the client id`);
  check(Number.isInteger(claims.iat), "'iat' claim missing");
  const now = Date.now();
  check(claims.iat * 1000 <= now + 5 * 60_000, "Token 'iat' in the future");
  check(claims.iat * 1000 >= now - 86_400_000, "'iat' is more than 1 day in the past");
  check(typeof claims.jti === "string" && claims.jti, "jti missing");
  check(claims.events && typeof claims.events === "object" && !Array.isArray(claims.events), "'events' claim missing or not a JSON object");
  equal(Object.keys(claims.events).length, 1, "entries in 'events'");
  const event = claims.events[BACKCHANNEL_EVENT];
  check(event && typeof event === "object" && !Array.isArray(event), `${BACKCHANNEL_EVENT} missing from 'events', or not a JSON object`);
  equal(Object.keys(event).length, 0, `members of ${BACKCHANNEL_EVENT}`);
}

/**
 * OIDCCFrontChannelRpInitiatedLogout: the client registers a frontchannel_logout_uri with
 * frontchannel_logout_session_required; the browser must load it (in the OP's iframe) and reach
 * the post_logout_redirect_uri; the request carries only iss and sid, which must be the issuer
 * and the ID token's sid. Then prompt=none.
 */
async function frontchannelLogout(t) {
  const receiver = t.ctx.rp.receiver("frontchannel_logout");
  const { client, session, result, postLogoutRedirectUri, redirectCtx } = await loggedIn(t, {
    frontchannel_logout_uri: receiver.url,
    frontchannel_logout_session_required: true,
  });
  const state = endSessionState();
  const nav = await endSession(t, session, { id_token_hint: result.idTokenJwt, post_logout_redirect_uri: postLogoutRedirectUri, state });
  const query = postLogoutRedirect(nav, postLogoutRedirectUri);
  const [request] = await receiver.next(1, 5000);
  check(request, "the browser did not load the frontchannel_logout_uri before it was sent on");
  equal(request.method, "GET", "front-channel logout request method");
  const params = request.url.searchParams;
  const unexpected = [...params.keys()].filter((k) => !["iss", "sid"].includes(k)); // CheckForUnexpectedParametersInFrontchannelLogoutRequest
  if (unexpected.length) t.note(`warning: frontchannel_logout_request includes unexpected parameters ${unexpected.join(", ")}`);
  check(params.get("iss"), "'iss' missing from frontchannel logout request");
  equal(params.get("iss"), t.ctx.as.issuer, "front-channel iss (ValidateFrontchannelLogoutIss)");
  check(params.get("sid"), "'sid' missing from frontchannel logout request");
  equal(params.get("sid"), result.idToken.sid, "front-channel sid vs the ID token's (CheckIdTokenSidMatchesFrontChannelLogoutRequest)");
  // The browser loaded it as a frame of the OP's page (Fetch Metadata), not as a navigation or from the OP's server.
  equal(request.headers["sec-fetch-dest"], "iframe", "Sec-Fetch-Dest of the front-channel logout request");
  checkPostLogoutParams(t, query, state);
  await promptNoneFails(t, client, session, redirectCtx);
}

/**
 * OIDCCSessionManagementRpInitiatedLogout: session_state from the authorization response
 * (ExtractSessionStateFromAuthorizationResponse), the suite's sessionVerify page framing the OP's
 * check_session_iframe and its rpSessionIframe, which posts "client_id session_state" and sends
 * the page to the result with the answer: "unchanged" (CheckSessionResultIsUnchanged); then the
 * logout, the post_logout_redirect_uri checks, and the same check again: "changed".
 * The RP pages are on rp.sameSiteOrigin (docs/logout.md: the browser-state cookie on plain http).
 */
async function sessionManagementLogout(t) {
  httpsUri(t, "check_session_iframe");
  const origin = t.ctx.rp.sameSiteOrigin;
  const { client, session, result, postLogoutRedirectUri } = await loggedIn(t, {}, { origin });
  const sessionState = result.params.get("session_state");
  check(sessionState, "Couldn't find session_state in authorization_endpoint_response");
  equal(await checkSession(t, session, origin, client, sessionState), "unchanged", "state from the OP's check_session_iframe before the logout");
  const state = endSessionState();
  const nav = await endSession(
    t,
    session,
    { id_token_hint: result.idTokenJwt, post_logout_redirect_uri: postLogoutRedirectUri, state },
    { redirectBase: origin },
  );
  checkPostLogoutParams(t, postLogoutRedirect(nav, postLogoutRedirectUri), state);
  equal(await checkSession(t, session, origin, client, sessionState), "changed", "state from the OP's check_session_iframe after the logout");
}

/** The suite's sessionVerify.html and rpSessionIframe.html, served by the RP; resolves to the answer the RP frame received. */
async function checkSession(t, session, origin, client, sessionState) {
  const name = random(9);
  const resultPath = `/o/session-result-${name}`;
  t.ctx.rp.host("text/html", "<!doctype html><title>session result</title>", `session-result-${name}`);
  const issuerOrigin = new URL(t.ctx.as.issuer).origin;
  // rpSessionIframe: posts after 500 ms as the suite does, and again each second until answered (the suite posts once).
  const rpFrame = `<!doctype html><title>rp</title><script>
var mes = ${JSON.stringify(`${client.client_id} ${sessionState}`)}; var targetOrigin = ${JSON.stringify(issuerOrigin)}; var answered = false;
window.addEventListener("message", function (e) { if (e.origin !== targetOrigin) return; answered = true;
  window.parent.window.location.href = ${JSON.stringify(`${origin}${resultPath}`)} + "?state=" + e.data; }, false);
function checkSession() { if (answered) return; window.parent.document.getElementById("op_iframe").contentWindow.postMessage(mes, "*"); setTimeout(checkSession, 1000); }
setTimeout(checkSession, 500);
</script>`;
  t.ctx.rp.host("text/html", rpFrame, `rp-session-iframe-${name}`);
  const verify = `<!doctype html><title>Session verification</title><h1>Session verification</h1>
<iframe id="op_iframe" src="${t.ctx.as.check_session_iframe}" hidden></iframe>
<iframe id="rp_iframe" src="${origin}/o/rp-session-iframe-${name}" hidden></iframe>`;
  t.ctx.rp.host("text/html", verify, `session-verify-${name}`);
  const landed = await session.visit(`${origin}/o/session-verify-${name}`, { until: `${origin}${resultPath}` });
  const state = landed.searchParams.get("state");
  check(state !== null, "state not present in the result from our iframe");
  return state;
}

/**
 * OIDCC3rdPartyInitLogin: a client registered with an initiate_login_uri (CreateInitiateLoginUri:
 * <base>/initiate_login, https) gets it back from registration and from its configuration endpoint.
 */
async function thirdPartyInitLogin(t) {
  const initiateLoginUri = `${t.ctx.rp.origin.replace(/^http:/, "https:")}/initiate_login`;
  const client = await t.register({ response_types: ["code"], grant_types: ["authorization_code"], initiate_login_uri: initiateLoginUri });
  equal(client.initiate_login_uri, initiateLoginUri, "initiate_login_uri in the registration response (ValidateInitiateLoginUriInRegistrationResponse)");
  // CallClientConfigurationEndpoint, CheckRegistrationClientEndpointContentTypeHttpStatus200, CheckRegistrationClientEndpointContentType
  const res = await fetch(client.registration_client_uri, {
    headers: { authorization: `Bearer ${client.registration_access_token}`, accept: "application/json" },
  });
  equal(res.status, 200, "client configuration endpoint status");
  check(/^application\/json/.test(res.headers.get("content-type") ?? ""), `client configuration content-type ${res.headers.get("content-type")}`);
  equal(
    (await res.json()).initiate_login_uri,
    initiateLoginUri,
    "initiate_login_uri from the client configuration endpoint (ValidateInitiateLoginUriInConfigurationResponse)",
  );
}

/** OIDCC3rdPartyInitLoginNonHttps: the same with http, which registration must refuse: 400, JSON, invalid_client_metadata. */
async function thirdPartyInitLoginNoHttps(t) {
  const initiateLoginUri = `${t.ctx.rp.origin.replace(/^https:/, "http:")}/initiate_login`;
  const res = await fetch(t.ctx.as.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ redirect_uris: [t.ctx.redirectUri], response_types: ["code"], initiate_login_uri: initiateLoginUri }),
  });
  check(/^application\/json/.test(res.headers.get("content-type") ?? ""), `registration error content-type ${res.headers.get("content-type")}`); // EnsureContentTypeJson
  equal(res.status, 400, "registration status for an http initiate_login_uri"); // EnsureHttpStatusCodeIs400
  equal((await res.json()).error, "invalid_client_metadata", "registration error"); // CheckErrorFromDynamicRegistrationEndpointIsInvalidClientMetadata
}

export default [
  { id: "oidcc-rp-initiated-logout-discovery-endpoint-verification", run: rpInitiatedDiscovery },
  { id: "oidcc-rp-initiated-logout", run: rpInitiatedLogout() },
  { id: "oidcc-rp-initiated-logout-no-state", run: rpInitiatedLogout({ withState: false }) },
  {
    // OIDCCRpInitiatedLogoutBadLogoutRedirectUri (AddBadPostLogoutRedirectUriToEndSessionEndpointRequest)
    id: "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
    run: mustNotRedirect("even though a different uri was requested", (p, { t }) => ({
      ...p,
      post_logout_redirect_uri: `${t.ctx.rp.origin}/bad_post_logout_redirect_uri`,
    })),
  },
  {
    // OIDCCRpInitiatedLogoutQueryAddedToLogoutRedirectUri (AddPostLogoutRedirectUriWithQueryAddedToEndSessionEndpointRequest)
    id: "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri",
    run: mustNotRedirect("even though a different uri was requested", (p) => ({ ...p, post_logout_redirect_uri: `${p.post_logout_redirect_uri}?foo=bar` })),
  },
  {
    // OIDCCRpInitiatedLogoutModifiedIdTokenHint (ChangeIdTokenToAlgNone)
    id: "oidcc-rp-initiated-logout-modified-id-token-hint",
    run: mustNotRedirect("even though an invalid id_token_hint was provided", (p) => ({ ...p, id_token_hint: algNone(p.id_token_hint) })),
  },
  {
    // OIDCCRpInitiatedLogoutBadIdTokenHint (GenerateFakeIdTokenClaims, SignFakeIdToken)
    id: "oidcc-rp-initiated-logout-bad-id-token-hint",
    run: mustNotRedirect("even though an invalid id_token_hint was provided", async (p, { t, client }) => ({
      ...p,
      id_token_hint: await fakeIdToken(t, client),
    })),
  },
  {
    // OIDCCRpInitiatedLogoutNoIdTokenHint (RemoveIdTokenHintFromEndSessionEndpointRequest)
    id: "oidcc-rp-initiated-logout-no-id-token-hint",
    run: mustNotRedirect("even though no id_token_hint was provided", ({ id_token_hint: _, ...p }) => p),
  },
  // OIDCCRpInitiatedLogoutNoParams (RemoveAllParametersFromEndSessionEndpointRequest)
  { id: "oidcc-rp-initiated-logout-no-params", run: endsSignedOut(() => ({})) },
  // OIDCCRpInitiatedLogoutNoPostLogoutRedirectUri (RemovePostLogoutRedirectUriFromEndSessionEndpointRequest)
  { id: "oidcc-rp-initiated-logout-no-post-logout-redirect-uri", run: endsSignedOut(({ post_logout_redirect_uri: _, ...p }) => p) },
  // OIDCCRpInitiatedLogoutOnlyState
  { id: "oidcc-rp-initiated-logout-only-state", run: endsSignedOut((p) => ({ state: p.state })) },
  { id: "oidcc-backchannel-logout-discovery-endpoint-verification", run: backchannelDiscovery },
  { id: "oidcc-backchannel-rp-initiated-logout", run: backchannelLogout },
  { id: "oidcc-frontchannel-logout-discovery-endpoint-verification", run: frontchannelDiscovery },
  { id: "oidcc-frontchannel-rp-initiated-logout", run: frontchannelLogout },
  { id: "oidcc-session-management-discovery-endpoint-verification", run: sessionManagementDiscovery },
  { id: "oidcc-session-management-rp-initiated-logout", run: sessionManagementLogout },
  { id: "oidcc-3rd_party-init-login", run: thirdPartyInitLogin },
  { id: "oidcc-3rd_party-init-login-nohttps", run: thirdPartyInitLoginNoHttps },
];
