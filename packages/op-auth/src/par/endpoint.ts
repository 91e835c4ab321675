import { type Client, getConfig, invalidRequest, serverError } from "@op/core";
import { json, type OpContext } from "@op/http";
import { enforceHardening } from "@op/rules";
import { type Env, newPushedRequestUri, type PushedAuthorizationRequestRecord, pushedRequestObject } from "@op/storage";
import { checkAuthorizationRequest } from "../authorize/request";
import { mergeRequiredOutsideParameters } from "../authorize/request-object/resolve";
import { validateRequestObject } from "../authorize/request-object/validate";
import { provisionalResponseMode, resolveRedirectUri } from "../authorize/validate";

/**
 * RFC 9126 §2: the pushed authorization request endpoint as its list of steps. The client
 * authenticates as at the token endpoint (same code and rate limits); the request, plain or
 * as a request object (through the one JAR validator), is checked like a direct authorization
 * request and stored for single use; errors are JSON (§2.3).
 */
export async function pushedAuthorizationRequestEndpoint(c: OpContext): Promise<Response> {
  const { env } = c;
  const { params, resources } = c.get("form");
  const client = c.get("client");
  rejectRequestUri(params);
  const pushed = await readPushedRequest(env, client, withoutCredentials(params), resources);
  await checkPushedRequest(env, client, pushed);
  return json(await storePushedRequest(env, client, pushed), 201);
}

/** RFC 9126 §2.1: request_uri must not be pushed. */
function rejectRequestUri(params: Record<string, string>): void {
  if (params.request_uri !== undefined) throw invalidRequest("request_uri is not allowed in a pushed authorization request");
}

/** Client authentication parameters are not part of the authorization request. */
function withoutCredentials(params: Record<string, string>): Record<string, string> {
  const { client_secret: _s, client_assertion: _a, client_assertion_type: _t, ...rest } = params;
  return rest;
}

type PushedRequest = Pick<PushedAuthorizationRequestRecord, "params" | "resources" | "requestObject">;

/** RFC 9126 §3: a request object's parameters replace the form's; the same mode check as at /authorize. */
async function readPushedRequest(env: Env, client: Client, form: Record<string, string>, resources: string[]): Promise<PushedRequest> {
  const requestObject = form.request !== undefined ? "request" : "absent";
  const { signatureRequired } = enforceHardening(getConfig(env), client, { pushed: true, requestObject });
  if (form.request === undefined) return { params: { ...form, client_id: client.client_id }, resources, requestObject };
  const content = await validateRequestObject(env, client, form.request, { signatureRequired });
  return { params: mergeRequiredOutsideParameters({ ...form, client_id: client.client_id }, content.params), resources: content.resources, requestObject };
}

/** RFC 9126 §2.1: validated as an authorization request would be; the redirect URI must be registered. */
async function checkPushedRequest(env: Env, client: Client, pushed: PushedRequest): Promise<void> {
  const redirectUri = resolveRedirectUri(client, pushed.params.redirect_uri);
  const target = { client, redirectUri, responseMode: provisionalResponseMode(pushed.params, client, env), state: pushed.params.state };
  await checkAuthorizationRequest(env, client, pushed.params, pushed.resources, target);
}

/** RFC 9126 §2.2: 201 with the request_uri and its lifetime; a failed write rejects the request. */
async function storePushedRequest(env: Env, client: Client, pushed: PushedRequest): Promise<{ request_uri: string; expires_in: number }> {
  const { par } = getConfig(env);
  for (let attempt = 0; attempt < 3; attempt++) {
    const { reference, requestUri } = newPushedRequestUri();
    const stored = await pushedRequestObject(env, reference).push({
      clientId: client.client_id,
      ...pushed,
      expiresAt: Date.now() + par.ttl * 1000,
      reuseWindow: par.reuseWindow,
    });
    if (stored) return { request_uri: requestUri, expires_in: par.ttl };
  }
  throw serverError("could not store the pushed request");
}
