import { getConfig, serverError } from "@op/core";
import { json, type OpContext } from "@op/http";
import { newPushedRequestUri, pushedRequestObject } from "@op/storage";
import { type AuthorizationContext, authenticatedContext } from "../context";
import { runSteps } from "../steps";

/**
 * RFC 9126 §2: the pushed authorization request endpoint. The pipeline authenticated the client
 * as at the token endpoint (same methods and budgets); the step table checks the request, plain
 * or as a request object, as the authorization endpoint would (§2.1); it is stored for single
 * use; errors are JSON (§2.3).
 */
export async function pushedAuthorizationRequestEndpoint(c: OpContext): Promise<Response> {
  const ctx = authenticatedContext(c, "par");
  await runSteps(ctx);
  return json(await storePushedRequest(ctx), 201);
}

/** RFC 9126 §2.2: 201 with the request_uri and its lifetime; a failed write rejects the request. */
async function storePushedRequest(ctx: AuthorizationContext): Promise<{ request_uri: string; expires_in: number }> {
  const { par } = getConfig(ctx.env);
  const { params: resolved, resources, requestObject } = ctx.get("resolved");
  // RFC 9449 §10.1: the key of the request's proof binds the code as dpop_jkt would.
  const jkt = ctx.get("dpopJkt");
  const params = jkt === undefined ? resolved : { ...resolved, dpop_jkt: jkt };
  for (let attempt = 0; attempt < 3; attempt++) {
    const { reference, requestUri } = newPushedRequestUri();
    const stored = await pushedRequestObject(ctx.env, reference).push({
      clientId: ctx.get("client").client_id,
      params,
      resources,
      requestObject: requestObject === "request" ? "request" : "absent",
      expiresAt: Date.now() + par.ttl * 1000,
      reuseWindow: par.reuseWindow,
    });
    if (stored) return { request_uri: requestUri, expires_in: par.ttl };
  }
  throw serverError("could not store the pushed request");
}
