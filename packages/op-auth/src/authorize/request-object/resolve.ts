import { type Client, getConfig, invalidRequest, invalidRequestObject, invalidRequestUri, normalizeResponseType } from "@op/core";
import { type Arrival, enforceHardening } from "@op/rules";
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

/**
 * RFC 9101 §5: only the request object's parameters are used. OIDC Core §6.1 also requires
 * response_type (and scope with openid) outside it: they fill in when the object omits them and
 * must agree with it otherwise; client_id is always the outside one (checked against the object).
 */
export function mergeRequiredOutsideParameters(outside: Record<string, string>, fromObject: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = { ...fromObject, client_id: outside.client_id! };
  for (const name of ["response_type", "scope"] as const) {
    const there = outside[name];
    const inside = fromObject[name];
    if (there === undefined) continue;
    if (inside === undefined) merged[name] = there;
    else if (!AGREES[name](there, inside)) throw invalidRequestObject(`${name} in the request differs from the request object's`);
  }
  return merged;
}

/** Space-separated sets (Multiple Response Types §2, RFC 6749 §3.3). */
const words = (v: string) => new Set(v.split(" ").filter(Boolean));
/**
 * response_type must be the same set. The outside scope is OIDC Core §6.1's marker ("openid"),
 * so it only conflicts when it names a scope the object does not: RPs commonly send
 * `scope=openid` outside and the full scope inside, and the object's value is the one used.
 */
const AGREES = {
  response_type: (a: string, b: string) => normalizeResponseType(a) === normalizeResponseType(b),
  scope: (outside: string, inside: string) => [...words(outside)].every((w) => words(inside).has(w)),
};
