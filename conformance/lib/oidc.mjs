// The relying party: discovery, registration, authorization requests and the checks the
// conformance suite makes on every response (AbstractOIDCCServerTest). oauth4webapi does the
// token and userinfo calls and their validation; jose checks what it does not see: the ID
// token from the authorization endpoint, c_hash/at_hash/s_hash, the signature by `kid`.
import { createHash, randomBytes } from "node:crypto";
import * as jose from "jose";
import * as oauth from "oauth4webapi";
import { check, equal, Failure } from "./assert.mjs";
import { CLOCK_SKEW_S, checkForSubject, validateIdToken, validateIdTokenStandardClaims, validateUserInfo } from "./claims.mjs";

/** oauth4webapi refuses plain http unless told; only an http (local) issuer is allowed it. */
export const httpOptions = (issuer) => (new URL(issuer).protocol === "http:" ? { [oauth.allowInsecureRequests]: true } : {});
export const random = (bytes = 16) => randomBytes(bytes).toString("base64url");

/** Discovery as oauth4webapi validates it, plus the raw response for the Config module. */
export async function discover(issuer) {
  const url = new URL(issuer);
  const response = await oauth.discoveryRequest(url, { ...httpOptions(issuer), algorithm: "oidc" });
  const raw = { status: response.status, contentType: response.headers.get("content-type") };
  const as = await oauth.processDiscoveryResponse(url, response);
  return { as, raw };
}

export async function fetchJwks(as) {
  const res = await fetch(as.jwks_uri);
  check(res.status === 200, `jwks_uri answered ${res.status}`);
  return res.json();
}

/** OIDC DCR §3.2: registers a client; returns the registration response. */
export async function register(ctx, metadata, { expectStatus = 201 } = {}) {
  const res = await fetch(ctx.as.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    // The suite's clients register its callback twice, the second with a query (OIDCC config docs).
    body: JSON.stringify({ redirect_uris: [ctx.redirectUri, `${ctx.redirectUri}?dummy1=lorem&dummy2=ipsum`], ...metadata }),
  });
  const body = await res.json().catch(() => ({}));
  if (expectStatus !== res.status) throw new Failure(`registration answered ${res.status} ${JSON.stringify(body).slice(0, 200)} (expected ${expectStatus})`);
  return body;
}

/** The client's token endpoint authentication; private_key_jwt with the token endpoint as aud, as the suite (CreateClientAuthenticationAssertionClaims). */
export function clientAuth(client, as) {
  switch (client.token_endpoint_auth_method ?? "client_secret_basic") {
    case "client_secret_basic":
      return oauth.ClientSecretBasic(client.client_secret);
    case "client_secret_post":
      return oauth.ClientSecretPost(client.client_secret);
    case "private_key_jwt":
      return oauth.PrivateKeyJwt(client.privateKey, {
        [oauth.modifyAssertion]: (_header, payload) => {
          payload.aud = as.token_endpoint; // oauth4webapi would use the issuer
        },
      });
    case "none":
      return oauth.None();
    default:
      throw new Error(`unsupported auth method ${client.token_endpoint_auth_method}`);
  }
}

/** The oauth4webapi view of a registered client. */
const o4w = (client) => ({
  client_id: client.client_id,
  id_token_signed_response_alg: client.id_token_signed_response_alg ?? "RS256",
  ...(client.userinfo_signed_response_alg ? { userinfo_signed_response_alg: client.userinfo_signed_response_alg } : {}),
});

const types = (rt) => new Set((rt ?? "").split(" ").filter(Boolean));

/** The parameters of an authorization request for this plan variant (suite: CreateAuthorizationEndpointRequestFromClientInformation). */
export function requestParams(t, client, overrides = {}) {
  const params = {
    client_id: client.client_id,
    redirect_uri: client.redirect_uris?.[0] ?? t.ctx.redirectUri,
    response_type: t.v.responseType,
    scope: "openid",
    state: random(),
    nonce: random(),
    ...(t.v.responseMode ? { response_mode: t.v.responseMode } : {}),
    ...overrides,
  };
  for (const [k, v] of Object.entries(params)) if (v === undefined) delete params[k];
  return params;
}

export const authorizationUrl = (ctx, params) => {
  const url = new URL(ctx.as.authorization_endpoint);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url;
};

/** Sends the browser with `params` and returns what came back (callback or page). */
export async function navigate(t, session, params, { method = "GET", url, redirectBase = t.ctx.redirectBase, ...opts } = {}) {
  const start = method === "POST" ? { url: t.ctx.as.authorization_endpoint, params } : (url ?? authorizationUrl(t.ctx, params));
  return session.authorize(start, { redirectBase, ...opts });
}

/** Where the response must be (OAuth 2.0 Multiple Response Types §5, Form Post §2). */
export function expectedMode(params) {
  if (params.response_mode) return params.response_mode;
  const rt = types(params.response_type);
  return rt.size === 0 || (rt.size === 1 && (rt.has("code") || rt.has("none"))) ? "query" : "fragment";
}

/** The authorization response parameters, read where the response mode puts them. */
export function responseParams(callback, mode) {
  if (mode === "form_post") {
    equal(callback.method, "POST", "form_post response method");
    return new URLSearchParams(callback.body ?? "");
  }
  if (mode === "fragment") {
    // suite: RejectAuthCodeInUrlQuery, RejectErrorInUrlQuery
    check(!callback.url.searchParams.has("code"), "code in the URL query of a fragment response");
    check(!callback.url.searchParams.has("error"), "error in the URL query of a fragment response");
    check(callback.url.hash.length > 1, `no fragment in the response ${callback.url}`);
    return new URLSearchParams(callback.url.hash.slice(1));
  }
  check(!callback.url.hash || callback.url.hash === "#", "query response carries a fragment");
  return callback.url.searchParams;
}

/** Expects the browser to have come back to the RP; returns the response parameters. */
export function callbackParams(_t, nav, params) {
  if (!nav.callback) throw new Failure(`the OP stopped on a ${nav.page?.status} page: ${oneLine(nav.page?.text)}`);
  const p = responseParams(nav.callback, expectedMode(params));
  if (params.redirect_uri) {
    const back = new URL(nav.callback.url);
    back.hash = "";
    const expected = new URL(params.redirect_uri);
    for (const [k, v] of expected.searchParams) equal(back.searchParams.get(k), v, `redirect_uri query parameter ${k}`);
    equal(back.origin + back.pathname, expected.origin + expected.pathname, "redirect target");
  }
  return p;
}

export const oneLine = (s = "") => String(s).replace(/\s+/g, " ").trim().slice(0, 160);

/** An error response at the redirect URI: its params after the state/iss checks. */
export function expectAuthorizationError(t, nav, params, allowed) {
  const p = callbackParams(t, nav, params);
  check(p.has("error"), `expected an error response, got ${[...p.keys()].join(", ")}`);
  check(allowed.includes(p.get("error")), `error ${p.get("error")} (${p.get("error_description")}), expected ${allowed.join(" or ")}`);
  if (params.state) equal(p.get("state"), params.state, "state");
  if (t.ctx.as.authorization_response_iss_parameter_supported) equal(p.get("iss"), t.ctx.as.issuer, "iss response parameter");
  check(!p.has("code") && !p.has("access_token") && !p.has("id_token"), "an error response carries credentials");
  return p;
}

const HASH = { 256: "sha256", 384: "sha384", 512: "sha512" };
/** OIDC Core §3.3.2.11: left half of the hash the JWS alg uses; EdDSA (Ed25519) uses SHA-512. */
export function halfHash(alg, value) {
  const bits = /^(EdDSA|Ed25519)$/.test(alg) ? 512 : Number(/(256|384|512)$/.exec(alg)?.[1]);
  check(HASH[bits], `no hash known for alg ${alg}`);
  const digest = createHash(HASH[bits]).update(value, "ascii").digest();
  return digest.subarray(0, digest.length / 2).toString("base64url");
}

/** Finds the OP key by kid (suite: ValidateIdTokenSignatureUsingKid); refetches once after a rotation. */
async function opKey(t, header) {
  check(header.kid, "JWS header has no kid");
  let key = t.ctx.jwks.keys.find((k) => k.kid === header.kid);
  if (!key) {
    t.ctx.jwks = await fetchJwks(t.ctx.as);
    key = t.ctx.jwks.keys.find((k) => k.kid === header.kid);
  }
  check(key, `kid ${header.kid} is not in the OP's JWKS`);
  if (key.alg) equal(key.alg, header.alg, `alg of key ${header.kid}`);
  return jose.importJWK(key, header.alg);
}

/** Verifies a JWS from the OP by kid; `alg` is the one the client registered. */
export async function verifyOpJws(t, jwt, alg, options = {}) {
  const header = jose.decodeProtectedHeader(jwt);
  equal(header.alg, alg, "JWS alg");
  if (alg === "none") {
    check(jwt.split(".")[2] === "", "unsecured JWT has a signature");
    return { header, claims: jose.decodeJwt(jwt) };
  }
  const key = await opKey(t, header);
  const { payload } = await jose.jwtVerify(jwt, key, { algorithms: [alg], clockTolerance: CLOCK_SKEW_S, ...options }).catch((e) => {
    throw new Failure(`JWS does not verify: ${e.message}`);
  });
  return { header, claims: payload };
}

/**
 * The suite's ID token checks: PerformStandardIdTokenChecks (ValidateIdToken,
 * ValidateIdTokenStandardClaims, ValidateIdTokenNonce, the signature by kid,
 * CheckForSubjectInIdToken) and the hashes (ExtractAtHash/ValidateAtHash, ExtractCHash/ValidateCHash).
 * `code` and `accessToken` are what at_hash and c_hash must match when present; `required`
 * names the hashes that must be there. s_hash is checked when present and `state` is known.
 */
export async function checkIdToken(t, client, jwt, { nonce, code, accessToken, state, required = [], from }) {
  const alg = client.id_token_signed_response_alg ?? "RS256";
  const { header, claims } = await verifyOpJws(t, jwt, alg);
  const where = `ID token from the ${from}`;
  validateIdToken(claims, { issuer: t.ctx.as.issuer, clientId: client.client_id, where });
  checkForSubject(claims, where);
  validateIdTokenStandardClaims(claims, where);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (aud.length > 1) equal(claims.azp, client.client_id, `${where}: azp`);
  if (nonce !== undefined) equal(claims.nonce, nonce, `${where}: nonce`);
  checkHash(claims, header, "c_hash", code, { where, required: required.includes("c_hash"), what: "code", section: "3.3.2.11" });
  checkHash(claims, header, "at_hash", accessToken, { where, required: required.includes("at_hash"), what: "access token", section: "3.2.2.10" });
  if (claims.s_hash !== undefined && state !== undefined) equal(claims.s_hash, halfHash(header.alg, state), `${where}: s_hash`);
  return claims;
}

/** Extract…Hash / Validate…Hash: `name` must be the left half of the hash of `value` (OIDC Core §3.3.2.11). */
function checkHash(claims, header, name, value, { where, required, what, section }) {
  if (claims[name] === undefined) return check(!required, `${where}: ${name} missing (OIDC Core §${section})`);
  check(typeof claims[name] === "string", `${where}: ${name} is not a string`);
  check(value !== undefined, `${where}: ${name} although no ${what} came with it`);
  equal(claims[name], halfHash(header.alg, value), `${where}: ${name}`);
}

/**
 * Everything after a successful authorization response, as AbstractOIDCCServerTest does it:
 * state and iss, the parts the response type asks for, the ID token, the access token from the
 * authorization endpoint at userinfo (requestProtectedResource), the code redeemed at the
 * token endpoint, and userinfo with the token endpoint's access token.
 */
export async function completeFlow(t, client, params, nav, { pkceVerifier, maxAge, userinfo = true } = {}) {
  const p = callbackParams(t, nav, params);
  if (p.has("error")) throw new Failure(`authorization error ${p.get("error")}: ${oneLine(p.get("error_description") ?? "")}`);
  if (params.state !== undefined) equal(p.get("state"), params.state, "state");
  if (t.ctx.as.authorization_response_iss_parameter_supported) equal(p.get("iss"), t.ctx.as.issuer, "iss response parameter (RFC 9207)");
  const rt = types(params.response_type);
  const result = { params: p, rt };
  if (rt.has("code")) check(p.get("code"), "no code in the response");
  else check(!p.has("code"), "a code the response type did not ask for");
  if (rt.has("token")) {
    check(p.get("access_token"), "no access_token in the response");
    check(/^bearer$/i.test(p.get("token_type") ?? ""), `token_type ${p.get("token_type")}`);
    if (p.has("expires_in")) check(/^\d+$/.test(p.get("expires_in")) && Number(p.get("expires_in")) > 0, "expires_in not a positive number");
    result.accessToken = p.get("access_token");
  } else check(!p.has("access_token"), "an access_token the response type did not ask for");
  if (rt.has("id_token")) {
    check(p.get("id_token"), "no id_token in the response");
    result.authIdToken = await checkIdToken(t, client, p.get("id_token"), {
      nonce: params.nonce,
      code: p.get("code") ?? undefined,
      accessToken: p.get("access_token") ?? undefined,
      state: params.state,
      // OIDCCServerTest: c_hash with a code, at_hash with an access token (OIDC Core §3.3.2.11)
      required: [...(rt.has("code") ? ["c_hash"] : []), ...(rt.has("token") ? ["at_hash"] : [])],
      from: "authorization endpoint",
    });
    result.idTokenJwt = p.get("id_token");
  } else check(!p.has("id_token"), "an id_token the response type did not ask for");
  if (rt.has("token")) {
    // AbstractOIDCCServerTest.handleSuccessfulAuthorizationEndpointResponse: the front-channel access token at userinfo.
    result.authUserinfo = await fetchUserinfo(t, client, result.accessToken, result.authIdToken?.sub, { which: "the authorization endpoint's access token" });
  }
  if (rt.has("code")) {
    result.tokens = await redeemCode(t, client, p, params, { pkceVerifier, maxAge });
    result.accessToken = result.tokens.access_token;
    result.tokenIdToken = result.tokens.claims;
    result.idTokenJwt = result.tokens.id_token;
    if (result.authIdToken) {
      // VerifyIdTokenSubConsistentHybridFlow (OIDC Core §3.3.3.6): both ID tokens name the same sub.
      equal(result.tokenIdToken.sub, result.authIdToken.sub, "sub of the token endpoint's ID token vs the authorization endpoint's");
    }
  }
  result.idToken = result.tokenIdToken ?? result.authIdToken;
  if (result.authUserinfo) equal(result.authUserinfo.sub, result.idToken.sub, "userinfo sub for the authorization endpoint's access token");
  if (maxAge !== undefined && result.idToken)
    check(Number.isInteger(result.idToken.auth_time), "auth_time missing although max_age was requested (OIDC Core §3.1.2.1)");
  if (userinfo && result.accessToken) result.userinfo = await fetchUserinfo(t, client, result.accessToken, result.idToken?.sub);
  return result;
}

/** The code at the token endpoint (suite: CallTokenEndpoint and the token response checks). */
export async function redeemCode(t, client, p, params, { pkceVerifier, maxAge } = {}) {
  const { as } = t.ctx;
  const oc = o4w(client);
  const validated = oauth.validateAuthResponse(
    as,
    oc,
    new URLSearchParams([...p].filter(([k]) => ["code", "state", "iss"].includes(k))),
    params.state ?? oauth.expectNoState,
  );
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    oc,
    clientAuth(client, as),
    validated,
    params.redirect_uri,
    pkceVerifier ?? oauth.nopkce,
    httpOptions(as.issuer),
  );
  const tokens = await tokenResponse(t, client, res, (r) =>
    oauth.processAuthorizationCodeResponse(as, oc, r, {
      expectedNonce: params.nonce ?? oauth.expectNoNonce,
      requireIdToken: true,
      maxAge: maxAge ?? oauth.skipAuthTimeCheck,
    }),
  );
  // OIDCCServerTest.additionalTokenEndpointResponseValidation: at_hash and c_hash optional here, but right if present.
  tokens.claims = await checkIdToken(t, client, tokens.id_token, {
    nonce: params.nonce,
    code: p.get("code"),
    accessToken: tokens.access_token,
    from: "token endpoint",
  });
  return tokens;
}

/** Token response checks; oauth4webapi validates unless the ID token is unsecured (it refuses `none`). */
export async function tokenResponse(_t, client, res, process) {
  if ((client.id_token_signed_response_alg ?? "RS256") === "none") {
    const body = await res.json();
    check(res.status === 200, `token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
    check(typeof body.access_token === "string" && /^bearer$/i.test(body.token_type), "token response lacks a bearer access_token");
    check(typeof body.id_token === "string", "token response lacks id_token");
    return body;
  }
  try {
    const tokens = await process(res);
    check(typeof tokens.access_token === "string" && tokens.access_token, "no access_token");
    if (tokens.expires_in !== undefined) check(Number.isInteger(tokens.expires_in) && tokens.expires_in > 0, "expires_in not a positive integer");
    return tokens;
  } catch (e) {
    if (e instanceof Failure) throw e;
    throw new Failure(`token response: ${e.message}${await oauthErrorDetail(e)}`);
  }
}

/** What an oauth4webapi error says the server answered: the error body, or the status and body behind a WWW-Authenticate challenge. */
export async function oauthErrorDetail(e) {
  if (e.cause?.error) return ` (${e.cause.error}: ${e.cause.error_description})`;
  if (e.response instanceof Response && !e.response.bodyUsed) return ` (${e.response.status} ${oneLine(await e.response.text().catch(() => ""))})`;
  return "";
}

/**
 * UserInfo (OIDC Core §5.3) by GET with the bearer header, as oauth4webapi validates it, then
 * the suite's checks on the claims (validateUserInfo). `which` names the token in failures.
 */
export async function fetchUserinfo(t, client, accessToken, sub, { method = "GET", which = "" } = {}) {
  const claims = await userinfoClaims(t, client, accessToken, sub, method).catch((e) => {
    if (which && e instanceof Failure) e.message = `${e.message} (with ${which})`;
    throw e;
  });
  validateUserInfo(claims);
  return claims;
}

async function userinfoClaims(t, client, accessToken, sub, method) {
  const { as } = t.ctx;
  const oc = o4w(client);
  let res;
  if (method === "GET") res = await oauth.userInfoRequest(as, oc, accessToken, httpOptions(as.issuer));
  else if (method === "POST-header")
    res = await fetch(as.userinfo_endpoint, {
      method: "POST",
      headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: "",
    });
  else
    res = await fetch(as.userinfo_endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: new URLSearchParams({ access_token: accessToken }),
    });
  if (!res.ok) throw new Failure(`userinfo (${method}) answered ${res.status}: ${oneLine(await res.text())}`);
  const signed = client.userinfo_signed_response_alg;
  if (signed) {
    check(/^application\/jwt/.test(res.headers.get("content-type") ?? ""), `signed userinfo has content-type ${res.headers.get("content-type")}`);
    const jwt = await res.clone().text();
    const { claims } = await verifyOpJws(t, jwt, signed, { issuer: as.issuer, audience: client.client_id });
    if (sub) equal(claims.sub, sub, "userinfo sub");
    return claims;
  }
  check(/^application\/json/.test(res.headers.get("content-type") ?? ""), `userinfo content-type ${res.headers.get("content-type")}`);
  try {
    return await oauth.processUserInfoResponse(as, oc, sub ?? oauth.skipSubjectCheck, res);
  } catch (e) {
    throw new Failure(`userinfo: ${e.message}`);
  }
}

/** RFC 7523 §3: a private_key_jwt assertion for `aud` (the token endpoint, or the issuer), claims as CreateClientAuthenticationAssertionClaims. */
export function clientAssertion(client, aud) {
  const now = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ jti: random(), nbf: now })
    .setProtectedHeader({ alg: "RS256", kid: client.privateKey.kid })
    .setIssuer(client.client_id)
    .setSubject(client.client_id)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .sign(client.privateKey.key);
}

/** A raw token request, for the error cases the libraries would refuse to send twice. */
export async function tokenRequest(t, client, form) {
  const headers = { "content-type": "application/x-www-form-urlencoded", accept: "application/json" };
  const body = new URLSearchParams(form);
  if ((client.token_endpoint_auth_method ?? "client_secret_basic") === "client_secret_basic") {
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`).toString("base64")}`;
  } else if (client.token_endpoint_auth_method === "client_secret_post") {
    body.set("client_id", client.client_id);
    body.set("client_secret", client.client_secret);
  } else if (client.token_endpoint_auth_method === "private_key_jwt") {
    // RFC 7523 §3 with the token endpoint as aud (the libraries use the issuer).
    const assertion = await clientAssertion(client, t.ctx.as.token_endpoint);
    body.set("client_id", client.client_id);
    body.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    body.set("client_assertion", assertion);
  } else body.set("client_id", client.client_id);
  const res = await fetch(t.ctx.as.token_endpoint, { method: "POST", headers, body });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: await res.json().catch(() => ({})) };
}
