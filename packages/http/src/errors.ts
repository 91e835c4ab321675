import { asOAuthError, type ChallengeScheme, getConfig, invalidRequest, type OAuthError } from "@op/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { json } from "./responses";

/** How a route shows its errors: JSON (RFC 6749 §5.2) for APIs, a page for people, or both. */
export type ErrorSurface = "json" | "page";

/**
 * What the one error handler needs beyond JSON: op-auth's HTML page, and the authorization
 * response that carries an error to the client's redirect URI (RFC 6749 §4.1.2.1) once the route
 * knows that URI can be trusted; it answers undefined when it cannot.
 */
export interface ErrorRenderers {
  page?: (err: OAuthError, c: Context) => Response | Promise<Response>;
  redirect?: (err: OAuthError, c: Context) => Promise<Response | undefined>;
}

/** RFC 6750 §3 / RFC 7235 §4.1: the challenge an error implies, with error and description unless it is bare. */
export function challengeFor(err: OAuthError, realm: string, scheme: ChallengeScheme | undefined = err.challenge): string | undefined {
  if (!scheme) return undefined;
  const parts = [`realm="${quoted(err.realm ?? realm)}"`];
  if (scheme !== "Basic" && !err.bareChallenge) parts.push(`error="${err.error}"`, `error_description="${quoted(err.description)}"`);
  return `${scheme} ${parts.join(", ")}`;
}

const quoted = (s: string) => s.replace(/["\\]/g, "");

/** RFC 6749 §5.2 JSON, with the error's headers and challenge; never the debug detail. */
export function errorJson(err: OAuthError, issuer: string, routeScheme?: ChallengeScheme): Response {
  const challenge = challengeFor(err, issuer, err.challenge ?? routeScheme);
  return json(err.toJSON(), err.status, { ...err.headers, ...(challenge ? { "WWW-Authenticate": challenge } : {}) });
}

/** The operator's log line of an error: every server error; a client error's debug detail where LOG_REQUESTS is on. */
export function logError(err: OAuthError, fields: { worker?: string; requestId?: string }, logRequests: boolean): void {
  if (err.status < 500 && (err.debug === undefined || !logRequests)) return;
  const line = { level: err.status >= 500 ? "error" : "info", ...fields, error: err.error, description: err.description, debug: err.debug };
  console.log(JSON.stringify(line));
}

/**
 * hono's own refusals of a request (a validator's malformed JSON, an unsupported media type)
 * are the client's errors: invalid_request with hono's text and status, never its plain-text
 * default or a server_error.
 */
function fromHono(thrown: unknown): unknown {
  if (!(thrown instanceof HTTPException) || thrown.status >= 500) return thrown;
  return invalidRequest(thrown.message || "the request is malformed", { status: thrown.status });
}

/**
 * The one error handler of every Worker (app.onError): anything thrown becomes an OAuthError
 * (unknown errors a server_error whose detail only the log sees), logged, then rendered as the
 * route asks: redirected to the client where that is allowed and possible, else a page on
 * browser routes, else JSON.
 */
export function errorHandler(worker: string, renderers: ErrorRenderers = {}) {
  return async (thrown: unknown, c: Context): Promise<Response> => {
    const err = asOAuthError(fromHono(thrown));
    logError(err, { worker, requestId: c.get("requestId") }, getConfig(c.env).logRequests);
    if (c.get("errorSurface") === "page") {
      const redirected = err.redirectable && renderers.redirect ? await renderers.redirect(err, c) : undefined;
      if (redirected) return redirected;
      if (renderers.page) return renderers.page(err, c);
    }
    return errorJson(err, getConfig(c.env).issuer, c.get("challenge"));
  };
}
