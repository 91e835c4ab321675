// The Dynamic plan: registration metadata and what the OP must do with it (OIDC DCR 1.0,
// Core §15.2 "dynamic OP" features). Each module registers its own client.
import * as jose from "jose";
import { check, equal, Failure, notApplicable, sleep } from "../lib/assert.mjs";
import { grantTypesFor, rpKey } from "../lib/context.mjs";
import {
  authorizationUrl,
  callbackParams,
  checkIdToken,
  clientAssertion,
  completeFlow,
  fetchJwks,
  navigate,
  oneLine,
  random,
  requestParams,
} from "../lib/oidc.mjs";
import {
  authorizeAndCheck,
  checkRefreshTokenCharacters,
  outerParams,
  pageShows,
  refreshAndCompare,
  refreshOverrides,
  requestUri,
  skipUnlessNoneRequestObjects,
  unsignedRequestObject,
} from "../lib/steps.mjs";
import { discoveryEndpointVerification } from "./config.mjs";
import core from "./core.mjs";

const base = (t) => ({ response_types: [t.v.responseType], grant_types: grantTypesFor(t.v.responseType) });

/** A private_key_jwt client whose keys are served at a jwks_uri the RP can rotate. */
async function jwksUriClient(t, extra = {}) {
  const key = await rpKey();
  const state = { keys: [key.jwk] };
  const jwksUri = t.ctx.rp.host("application/json", () => JSON.stringify(state));
  const client = await t.client("main", {
    token_endpoint_auth_method: "private_key_jwt",
    token_endpoint_auth_signing_alg: "RS256",
    jwks_uri: jwksUri,
    ...extra,
  });
  check(client.jwks_uri === jwksUri, "registration response lacks the jwks_uri");
  client.privateKey = key.privateKey;
  client.rotate = async () => {
    const next = await rpKey();
    state.keys = [next.jwk];
    client.privateKey = next.privateKey;
  };
  return client;
}

/** OIDCCRegistrationLogoUri / PolicyUri / TosUri: the value registered is shown to the user. */
const shownOnPages = (member, selector) => async (t) => {
  const value = `${t.ctx.rp.origin}/${member.replace("_uri", "")}-${random()}`;
  const client = await t.client("main", { [member]: value });
  equal(client[member], value, `registered ${member}`);
  const params = requestParams(t, client);
  const nav = await navigate(t, await t.session(), params, { login: false });
  const page = pageShows(nav, "the login page");
  check(nav.pages.includes("login"), "no login page");
  // In the document the OP sent: the runner's logo URL is http, which the page's CSP does not load (https only), so the page removes it.
  check(page.source.includes(`${selector}="${value}"`), `the login page does not show the registered ${member}`);
  await authorizeAndCheck(t, { client });
};

/** OIDCCRedirectUriQuery*: registered redirect URIs with a query compare exactly (OIDC Core §3.1.2.1). */
const redirectQuery = (registered, requested, ok) => async (t) => {
  const cb = t.ctx.redirectUri;
  const client = await t.client("main", { redirect_uris: [cb + registered] });
  if (ok) return authorizeAndCheck(t, { client, overrides: { redirect_uri: cb + requested } });
  const nav = await navigate(t, await t.session(), requestParams(t, client, { redirect_uri: cb + requested }), { redirectBase: t.ctx.rp.origin });
  const page = pageShows(nav, "an error page for the mismatched redirect_uri");
  check(page.status >= 400, `the page answered ${page.status}`);
  t.note(`error page ${page.status}`);
};

/** OIDCCRedirectUriRegFrag: a redirect URI with a fragment is refused at registration (OIDC DCR §2, RFC 6749 §3.1.2). */
async function regFrag(t) {
  const res = await fetch(t.ctx.as.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...base(t), redirect_uris: [`${t.ctx.redirectUri}#fragment`] }),
  });
  const body = await res.json().catch(() => ({}));
  equal(res.status, 400, "registration status");
  check(["invalid_redirect_uri", "invalid_client_metadata"].includes(body.error), `error ${body.error}`);
}

/**
 * OIDCCEnsureRedirectUriInAuthorizationRequest: a client with two redirect URIs sends none; the
 * OP must show an error page. Any redirect back fails (AuthorizationEndpointRedirectedBackUnexpectedly).
 */
async function redirectUriMissing(t) {
  const client = await t.client();
  check(client.redirect_uris?.length >= 2, "the client was not registered with two redirect URIs");
  const params = requestParams(t, client, { redirect_uri: undefined });
  const nav = await navigate(t, await t.session(), params, { redirectBase: t.ctx.rp.origin });
  pageShows(nav, "an error page for the missing redirect_uri (OIDC Core §3.1.2.1)");
  check(
    nav.page.status >= 400 && /redirect_uri/i.test(nav.page.text),
    `expected an error page about redirect_uri: ${nav.page.status} ${oneLine(nav.page.text)}`,
  );
  t.note(`error page ${nav.page.status}`);
}

/** OIDCCIdTokenRS256. */
async function idTokenRs256(t) {
  const client = await t.client("main", { id_token_signed_response_alg: "RS256" });
  const { result } = await authorizeAndCheck(t, { client });
  equal(jose.decodeProtectedHeader(result.idTokenJwt).alg, "RS256", "ID token alg");
}

/** OIDCCUserInfoRS256: userinfo as a JWT signed with RS256 (OIDC Core §5.3.2). */
async function userinfoRs256(t) {
  const client = await t.client("main", { userinfo_signed_response_alg: "RS256" });
  const { result } = await authorizeAndCheck(t, { client });
  check(result.userinfo?.sub === result.idToken.sub, "signed userinfo sub");
}

/** OIDCCRegistrationJwksUri: private_key_jwt with the key published at the registered jwks_uri. */
async function registrationJwksUri(t) {
  const client = await jwksUriClient(t);
  await authorizeAndCheck(t, { client });
}

/** A sector_identifier_uri document listing `uris` (OIDC Core §8.1). */
const sector = (t, uris) => t.ctx.rp.host("application/json", JSON.stringify(uris));

/** OIDCCRegistrationSectorUri: pairwise subject with a sector_identifier_uri that lists the redirect URIs. */
async function sectorUri(t) {
  const client = await t.client("main", {
    subject_type: "pairwise",
    sector_identifier_uri: sector(t, [t.ctx.redirectUri, `${t.ctx.redirectUri}?dummy1=lorem&dummy2=ipsum`]),
  });
  const { result } = await authorizeAndCheck(t, { client });
  const plain = await authorizeAndCheck(t, { kind: "main" });
  check(result.idToken.sub !== plain.result.idToken.sub, "the pairwise sub equals the public sub");
}

/** OIDCCRegistrationSectorBad: a sector_identifier_uri that does not list the redirect URI is refused. */
async function sectorBad(t) {
  const res = await fetch(t.ctx.as.registration_endpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...base(t),
      redirect_uris: [t.ctx.redirectUri],
      subject_type: "pairwise",
      sector_identifier_uri: sector(t, [`${t.ctx.rp.origin}/elsewhere`]),
    }),
  });
  const body = await res.json().catch(() => ({}));
  equal(res.status, 400, "registration status");
  equal(body.error, "invalid_client_metadata", "error");
}

/** OIDCCServerRotateKeys: after a rotation (admin API) the JWKS has a new signing key and still the old one. */
async function rotateKeys(t) {
  if (!t.ctx.adminToken) notApplicable("no ADMIN_TOKEN in the environment to rotate the deployed OP's keys with (--issuer)");
  const sig = (jwks) => jwks.keys.filter((k) => k.use !== "enc");
  const before = await fetchJwks(t.ctx.as);
  const res = await fetch(new URL("/admin/keys/rotate", t.ctx.issuer), { method: "POST", headers: { authorization: `Bearer ${t.ctx.adminToken}` } });
  check(res.ok, `/admin/keys/rotate answered ${res.status}`);
  // The JWKS response may be a cached copy (its Cache-Control says for how long): an RP that
  // honours max-age sees the new keys once it runs out, and they only sign after that.
  let after = await fetchJwks(t.ctx.as);
  for (let i = 0; i < 12 && sig(after).every((k) => sig(before).some((b) => b.kid === k.kid)); i++) {
    const res = await fetch(t.ctx.as.jwks_uri);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1] ?? 5);
    await sleep(Math.min(maxAge + 1, 10) * 1000);
    after = await fetchJwks(t.ctx.as);
  }
  check(
    sig(after).some((k) => !sig(before).some((b) => b.kid === k.kid)),
    "no new signing key after the rotation",
  );
  if (!sig(before).every((b) => after.keys.some((k) => k.kid === b.kid))) t.note("warning: an old signing key left the JWKS at once");
  check(new Set(after.keys.map((k) => k.kid)).size === after.keys.length, "kids are not distinct");
  check(
    after.keys.every((k) => !("d" in k) && k.kty !== "oct"),
    "JWKS holds a private or symmetric key",
  );
  t.ctx.jwks = after;
  await authorizeAndCheck(t); // ID tokens still verify, signed by a key the new JWKS holds
}

/** OIDCCRefreshTokenRPKeyRotation: refresh with a client assertion signed by a new key at the jwks_uri. */
async function rpKeyRotation(t) {
  const client = await jwksUriClient(t);
  const scope = "openid offline_access"; // SetScopeInClientConfigurationToOpenIdOfflineAccess
  const { result } = await authorizeAndCheck(t, { client, overrides: refreshOverrides(scope) });
  const rt = result.tokens.refresh_token;
  check(rt, "no refresh token for scope offline_access");
  checkRefreshTokenCharacters(rt);
  await client.rotate();
  await sleep(60_000); // as the suite: stay clear of jwks_uri fetch limits
  await refreshAndCompare(t, client, result, { refreshToken: rt, scope }).catch((e) => {
    if (e instanceof Failure) e.message = `with the rotated RP key: ${e.message}`;
    throw e;
  });
}

/** CheckDiscEndpointRequestUriParameterSupported (AbstractOIDCCRequestUriServerTest): absent means true. */
const checkRequestUriSupported = (t) =>
  check(t.ctx.as.request_uri_parameter_supported !== false, "request_uri_parameter_supported is false; dynamic OPs must support request_uri (OIDC Core §15.2)");

/** A request_uri flow; `setObject` turns the params into the request object. */
async function requestUriFlow(t, client, requestUri, setObject) {
  checkRequestUriSupported(t);
  const params = requestParams(t, client);
  setObject(params);
  const query = { ...outerParams(params), request_uri: requestUri };
  const nav = await navigate(t, await t.session(), params, { url: authorizationUrl(t.ctx, query) });
  return completeFlow(t, client, params, nav);
}

/** OIDCCRequestUriUnsigned: request_uri is mandatory for dynamic OPs (OIDC Core §15.2). */
async function requestUriUnsigned(t) {
  skipUnlessNoneRequestObjects(t);
  let object;
  const uri = requestUri(t, () => object);
  const client = await t.client("main", { request_uris: [uri], request_object_signing_alg: "none" });
  await requestUriFlow(t, client, uri, (params) => (object = unsignedRequestObject(t, params)));
}

/** OIDCCRequestUriSignedRS256: the object signed with the RP's registered key. */
async function requestUriSignedRs256(t) {
  checkRequestUriSupported(t);
  // CheckDiscEndpointRequestObjectSigningAlgValuesSupportedContainsRS256
  check(t.ctx.as.request_object_signing_alg_values_supported?.includes("RS256"), "request_object_signing_alg_values_supported lacks RS256");
  let object;
  const uri = requestUri(t, () => object);
  const key = await rpKey();
  const client = await t.client("main", { request_uris: [uri], request_object_signing_alg: "RS256", jwks: { keys: [key.jwk] } });
  client.privateKey = key.privateKey; // the same registered key authenticates the client
  const params = requestParams(t, client);
  object = await new jose.SignJWT({ ...params, iss: params.client_id, aud: t.ctx.as.issuer, jti: random() })
    .setProtectedHeader({ alg: "RS256", kid: key.jwk.kid, typ: "oauth-authz-req+jwt" })
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(key.privateKey.key);
  const nav = await navigate(t, await t.session(), params, { url: authorizationUrl(t.ctx, { ...outerParams(params), request_uri: uri }) });
  await completeFlow(t, client, params, nav);
}

/** OIDCCEnsureClientAssertionWithIssAudSucceeds: a private_key_jwt assertion whose aud is the issuer. */
async function assertionIssAud(t) {
  const client = await jwksUriClient(t);
  const session = await t.session();
  const params = requestParams(t, client);
  const nav = await navigate(t, session, params);
  const p = callbackParams(t, nav, params);
  check(p.get("code"), `no code: ${p.get("error")}`);
  const assertion = await clientAssertion(client, t.ctx.as.issuer);
  const res = await fetch(t.ctx.as.token_endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: p.get("code"),
      redirect_uri: params.redirect_uri,
      client_id: client.client_id,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (body.error) {
    // Allowed (RFC 7523 §3 only recommends the issuer as aud), but then as invalid_client.
    check([400, 401].includes(res.status) && body.error === "invalid_client", `refused with ${res.status} ${body.error}`);
    return t.note("warning: the OP refuses the issuer as client assertion aud");
  }
  check(res.status === 200 && body.access_token && body.id_token, `token response ${res.status}`);
  await checkIdToken(t, client, body.id_token, { nonce: params.nonce, code: p.get("code"), accessToken: body.access_token, from: "token endpoint" });
}

const shared = new Map(core.map((m) => [m.id, m]));
export default [
  { id: "oidcc-idtoken-rs256", run: idTokenRs256 },
  shared.get("oidcc-idtoken-unsigned"),
  { id: "oidcc-userinfo-rs256", run: userinfoRs256 },
  { id: "oidcc-ensure-redirect-uri-in-authorization-request", run: redirectUriMissing },
  { id: "oidcc-redirect-uri-query-OK", run: redirectQuery("?foo=bar", "?foo=bar", true) },
  { id: "oidcc-redirect-uri-query-mismatch", run: redirectQuery("?foo=bar", "?foo=zoo", false) },
  { id: "oidcc-redirect-uri-query-added", run: redirectQuery("", "?foo=bar", false) },
  { id: "oidcc-redirect-uri-regfrag", run: regFrag },
  { id: "oidcc-discovery-endpoint-verification", run: (t) => discoveryEndpointVerification(t, { dynamic: true }) },
  { id: "oidcc-registration-logo-uri", run: shownOnPages("logo_uri", "src") },
  { id: "oidcc-registration-policy-uri", run: shownOnPages("policy_uri", "href") },
  { id: "oidcc-registration-tos-uri", run: shownOnPages("tos_uri", "href") },
  { id: "oidcc-registration-jwks-uri", run: registrationJwksUri },
  { id: "oidcc-registration-sector-uri", run: sectorUri },
  { id: "oidcc-registration-sector-bad", run: sectorBad },
  { id: "oidcc-server-rotate-keys", run: rotateKeys, slow: true },
  { id: "oidcc-refresh-token-rp-key-rotation", run: rpKeyRotation, slow: true },
  { id: "oidcc-request-uri-unsigned", run: requestUriUnsigned },
  { id: "oidcc-request-uri-signed-rs256", run: requestUriSignedRs256 },
  { id: "oidcc-ensure-client-assertion-with-iss-aud-succeeds", run: assertionIssAud },
];
