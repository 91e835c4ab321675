// Request objects in the Basic/Implicit/Hybrid plans (OIDC Core §6): unsigned (alg none) by
// value and by reference, and the request object's redirect_uri winning over the query's.
import { check, notApplicable } from "../lib/assert.mjs";
import { authorizationUrl, callbackParams, completeFlow, navigate, requestParams } from "../lib/oidc.mjs";
import { skipUnlessNoneRequestObjects, unsignedRequestObject } from "../lib/steps.mjs";

/** OIDC Core §6.1: response_type, client_id and scope are also sent as query parameters. */
const outer = (params) => ({ client_id: params.client_id, response_type: params.response_type, scope: params.scope });

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
  const requestUri = t.ctx.rp.host("application/oauth-authz-req+jwt", () => object);
  const client = await t.client("main", { request_uris: [requestUri] });
  const params = requestParams(t, client);
  object = unsignedRequestObject(t, params);
  await send(t, client, params, { ...outer(params), request_uri: requestUri }, "request_uri_not_supported");
}

/** OIDCCEnsureRequestObjectWithRedirectUri: the request object's redirect_uri wins over an invalid one in the query. */
async function redirectUriInRequestObject(t) {
  skipUnlessNoneRequestObjects(t);
  const client = await t.client();
  const params = requestParams(t, client);
  const query = { ...outer(params), redirect_uri: `${t.ctx.redirectUri}/invalid`, request: unsignedRequestObject(t, params) };
  const result = await send(t, client, params, query, "request_not_supported");
  check(result.params.get("state") === params.state, "state from the request object not returned");
}

export default [
  { id: "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported", run: unsignedByValue },
  { id: "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported", run: unsignedByReference },
  { id: "oidcc-ensure-request-object-with-redirect-uri", run: redirectUriInRequestObject },
];
