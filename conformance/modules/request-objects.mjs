// Request objects in the Basic/Implicit/Hybrid plans (OIDC Core §6): unsigned (alg none) by
// value and by reference, and the request object's redirect_uri winning over the query's.
import { check, Failure, notApplicable } from "../lib/assert.mjs";
import { authorizationUrl, callbackParams, completeFlow, navigate, oneLine, requestParams } from "../lib/oidc.mjs";
import { outerParams as outer, requestUri, skipUnlessNoneRequestObjects, unsignedRequestObject } from "../lib/steps.mjs";

/** Sends the request object; skips as the suite does on request(_uri)_not_supported. */
async function send(t, client, params, query, notSupported) {
  const nav = await navigate(t, await t.session(), params, { url: authorizationUrl(t.ctx, query) });
  if (nav.callback) {
    const p = callbackParams(t, nav, params);
    if (p.get("error") === notSupported) notApplicable(`the OP answered ${notSupported} (allowed; the suite skips)`);
  }
  return completeFlow(t, client, params, nav);
}

/** OIDCCUnsignedRequestObjectSupportedCorrectlyOrRejectedAsUnsupported: `request` by value, alg none. */
async function unsignedByValue(t) {
  skipUnlessNoneRequestObjects(t);
  const client = await t.client();
  const params = requestParams(t, client);
  await send(t, client, params, { ...outer(params), request: unsignedRequestObject(t, params) }, "request_not_supported");
}

/** OIDCCRequestUriUnsignedSupportedCorrectlyOrRejectedAsUnsupported: `request_uri` (registered) pointing at an unsigned object. */
async function unsignedByReference(t) {
  skipUnlessNoneRequestObjects(t);
  let object;
  const uri = requestUri(t, () => object);
  const client = await t.client("main", { request_uris: [uri] });
  const params = requestParams(t, client);
  object = unsignedRequestObject(t, params);
  await send(t, client, params, { ...outer(params), request_uri: uri }, "request_uri_not_supported");
}

/**
 * OIDCCEnsureRequestObjectWithRedirectUri: the request object's redirect_uri wins over an invalid
 * one in the query (OIDC Core §6.1), or the OP shows an error page (ExpectRedirectUriErrorPage).
 * request_not_supported fails here: it came back to a redirect URI the query did not name
 * (EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri).
 */
async function redirectUriInRequestObject(t) {
  skipUnlessNoneRequestObjects(t);
  const client = await t.client();
  const params = requestParams(t, client);
  const query = { ...outer(params), redirect_uri: `${t.ctx.redirectUri}/invalid`, request: unsignedRequestObject(t, params) };
  const nav = await navigate(t, await t.session(), params, { url: authorizationUrl(t.ctx, query), redirectBase: t.ctx.rp.origin });
  if (!nav.callback) {
    check(
      nav.page.status >= 400 && /redirect/i.test(nav.page.text),
      `neither a redirect nor an error page about the redirect URI: ${nav.page.status} ${oneLine(nav.page.text)}`,
    );
    return t.note(`error page ${nav.page.status} (the suite asks for a screenshot)`);
  }
  const p = callbackParams(t, nav, params);
  if (p.get("error") === "request_not_supported")
    throw new Failure(
      "request_not_supported, sent to the registered redirect URI although the query's redirect_uri was invalid; the OP must show an error page instead",
    );
  const result = await completeFlow(t, client, params, nav);
  check(result.params.get("state") === params.state, "state from the request object not returned");
}

export default [
  { id: "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported", run: unsignedByValue },
  { id: "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported", run: unsignedByReference },
  { id: "oidcc-ensure-request-object-with-redirect-uri", run: redirectUriInRequestObject },
];
