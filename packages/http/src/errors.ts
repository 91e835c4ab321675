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

/** The challenges a route offers for errors whose code implies none (RFC 6750 §3), and DPoP's (RFC 9449 §7.1) with its algorithms. */
export interface RouteChallenge {
  scheme?: ChallengeScheme;
  /** The route also accepts DPoP-bound tokens: its errors offer a DPoP challenge with these `algs`. */
  dpopAlgs?: readonly string[];
}

const SCHEME_ORDER: ChallengeScheme[] = ["Basic", "Bearer", "DPoP"];

/**
 * RFC 6750 §3 / RFC 7235 §4.1: the challenges an error implies. The error (and its description,
 * unless it is bare) goes on its own scheme's challenge, or the route's; a route that also takes
 * DPoP offers that challenge too, with `algs` (RFC 9449 §7.1), Bearer first so that clients
 * reading only the first challenge still find theirs.
 */
export function challengeFor(err: OAuthError, realm: string, route: RouteChallenge = {}): string | undefined {
  const target = err.challenge ?? route.scheme;
  if (!target) return undefined;
  const offered = target === "Basic" ? ["Basic"] : [route.scheme, route.dpopAlgs ? "DPoP" : undefined, target];
  const schemes = SCHEME_ORDER.filter((s) => offered.includes(s));
  return schemes
    .map((scheme) => {
      const parts = [`realm="${quoted(err.realm ?? realm)}"`];
      if (scheme === target && scheme !== "Basic" && !err.bareChallenge) parts.push(`error="${err.error}"`, `error_description="${quoted(err.description)}"`);
      if (scheme === "DPoP" && route.dpopAlgs) parts.push(`algs="${route.dpopAlgs.join(" ")}"`);
      return `${scheme} ${parts.join(", ")}`;
    })
    .join(", ");
}

const quoted = (s: string) => s.replace(/["\\]/g, "");

/** RFC 6749 §5.2 JSON, with the error's headers and challenge; never the debug detail. */
export function errorJson(err: OAuthError, issuer: string, route?: RouteChallenge): Response {
  const challenge = challengeFor(err, issuer, route);
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
    const config = getConfig(c.env);
    return errorJson(err, config.issuer, { scheme: c.get("challenge"), dpopAlgs: c.get("dpopChallenge") ? config.dpop.algs : undefined });
  };
}
