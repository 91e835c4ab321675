import { type Client, getConfig, invalidRequest, invalidRequestUri } from "@op/core";
import { type Arrival, enforceHardening, mergeRequiredOutsideParameters } from "@op/rules";
import { type Env, PAR_REQUEST_URI_PREFIX, pushedRequestObject, pushedRequestReference } from "@op/storage";
import { fetchRegisteredRequestObject, validateRequestObject } from "./validate";

/** The parameters an authorization request is checked with, wherever they came from. */
export interface ResolvedAuthorizationRequest {
  params: Record<string, string>;
  resources: string[];
  requestObject: Arrival["requestObject"];
}

/**
 * RFC 9101 §5 and RFC 9126 §4: the parameters of a request, taken from the query, from a
 * request object (`request`, or fetched from a registered `request_uri`), or from a pushed
 * request (`urn:ietf:params:oauth:request_uri:…`). The client's PAR and JAR modes are enforced
 * here, at the one point every arrival passes (enforceHardening).
 */
export async function resolveAuthorizationRequest(
  env: Env,
  client: Client,
  outside: Record<string, string>,
  outsideResources: string[],
): Promise<ResolvedAuthorizationRequest> {
  rejectRequestAndRequestUri(outside);
  if (outside.request_uri?.startsWith(PAR_REQUEST_URI_PREFIX)) return consumePushedRequest(env, client, outside.request_uri);
  const source: Arrival["requestObject"] = outside.request !== undefined ? "request" : outside.request_uri !== undefined ? "request_uri" : "absent";
  const { signatureRequired } = enforceHardening(getConfig(env), client, { pushed: false, requestObject: source });
  if (source === "absent") return { params: outside, resources: outsideResources, requestObject: "absent" };
  const jwt = outside.request ?? (await fetchRegisteredRequestObject(env, client, outside.request_uri!));
  const content = await validateRequestObject(env, client, jwt, { signatureRequired });
  return { params: mergeRequiredOutsideParameters(outside, content.params), resources: content.resources, requestObject: source };
}

/**
 * RFC 9126 §3: a pushed request's parameters, from the form or from the request object it
 * carries (whose parameters replace the form's); the same mode check as at the authorization
 * endpoint. request_uri must not be pushed (§2.1).
 */
export async function resolvePushedRequest(
  env: Env,
  client: Client,
  form: Record<string, string>,
  formResources: string[],
): Promise<ResolvedAuthorizationRequest> {
  if (form.request_uri !== undefined) throw invalidRequest("request_uri is not allowed in a pushed authorization request");
  const requestObject = form.request !== undefined ? "request" : "absent";
  const { signatureRequired } = enforceHardening(getConfig(env), client, { pushed: true, requestObject });
  const outside = { ...withoutCredentials(form), client_id: client.client_id };
  if (form.request === undefined) return { params: outside, resources: formResources, requestObject };
  const content = await validateRequestObject(env, client, form.request, { signatureRequired });
  return { params: mergeRequiredOutsideParameters(outside, content.params), resources: content.resources, requestObject };
}

/** Client authentication parameters are not part of the authorization request (RFC 9126 §2.1). */
function withoutCredentials(params: Record<string, string>): Record<string, string> {
  const { client_secret: _s, client_assertion: _a, client_assertion_type: _t, ...rest } = params;
  return rest;
}

/** RFC 9101 §5: request and request_uri exclude each other. */
export function rejectRequestAndRequestUri(params: Record<string, string>): void {
  if (params.request !== undefined && params.request_uri !== undefined) throw invalidRequest("request and request_uri must not both be present");
}

/**
 * RFC 9126 §4: the pushed request, once, by the client that pushed it; the query's other
 * parameters are ignored. The same mode check runs as for a direct request.
 */
async function consumePushedRequest(env: Env, client: Client, requestUri: string): Promise<ResolvedAuthorizationRequest> {
  const reference = pushedRequestReference(requestUri);
  if (!reference) throw invalidRequestUri("request_uri is not a pushed authorization request reference");
  const result = await pushedRequestObject(env, reference).consume(client.client_id);
  if (result.status !== "ok") throw invalidRequestUri(PUSHED_REQUEST_FAILURES[result.status]);
  const { record } = result;
  enforceHardening(getConfig(env), client, { pushed: true, requestObject: record.requestObject });
  return { params: { ...record.params, client_id: client.client_id }, resources: record.resources, requestObject: record.requestObject };
}

const PUSHED_REQUEST_FAILURES = {
  unknown: "request_uri is unknown or has expired",
  expired: "request_uri has expired",
  wrong_client: "request_uri was pushed by another client",
  used: "request_uri has already been used",
} as const;
