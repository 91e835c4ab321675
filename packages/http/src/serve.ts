import { getConfig, OAuthError } from "@op/core";
import type { Env } from "@op/storage";
import { errorResponse } from "./http";

/** Carried from the front Worker to its siblings and returned to the caller. */
export const REQUEST_ID_HEADER = "x-request-id";
/** No endpoint takes more; larger bodies are refused before anything reads them. */
export const MAX_REQUEST_BYTES = 256 * 1024;

const WELL_FORMED_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** The caller's request id when well-formed (the front Worker, a proxy), else a new one. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get(REQUEST_ID_HEADER);
  return given && WELL_FORMED_ID.test(given) ? given : crypto.randomUUID();
}

type Handler = (request: Request, env: Env, ctx: ExecutionContext) => Promise<Response>;

/**
 * Every Worker's entry point: a request id on the request (so service-binding calls carry it)
 * and on the response, a size limit before any handler reads the body, and one structured log
 * line per request with method, path (never the query: it may hold codes or tokens) and status.
 */
export function serve(
  worker: string,
  handle: Handler,
  renderError: (err: OAuthError, request: Request) => Response | Promise<Response> = (err) => errorResponse(err),
): Handler {
  return async (incoming, env, ctx) => {
    const requestId = requestIdOf(incoming);
    const headers = new Headers(incoming.headers);
    headers.set(REQUEST_ID_HEADER, requestId);
    // cf (the edge's view, e.g. tlsClientAuth) is carried over explicitly to the copy.
    const request = new Request(incoming, { headers, cf: (incoming as { cf?: RequestInitCfProperties }).cf });
    let response: Response;
    if (Number(request.headers.get("content-length") ?? "0") > MAX_REQUEST_BYTES) {
      response = await renderError(new OAuthError("invalid_request", "request body too large", { status: 413 }), request);
    } else {
      try {
        response = await handle(request, env, ctx);
      } catch (err) {
        response = errorResponse(err, requestId);
      }
    }
    // A fetched response's headers are immutable.
    return answered(env, worker, request, requestId, new Response(response.body, response));
  };
}

/** The end of every request: its id on the (mutable) response, and its log line. */
export function answered(env: Env, worker: string, request: Request, requestId: string, response: Response): Response {
  response.headers.set(REQUEST_ID_HEADER, requestId);
  if (response.status >= 500 || getConfig(env).logRequests) {
    const line = {
      level: response.status >= 500 ? "error" : "info",
      worker,
      requestId,
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
    };
    console.log(JSON.stringify(line));
  }
  return response;
}
