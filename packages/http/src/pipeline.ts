import { type AuthenticatedClient, asOAuthError, type ChallengeScheme, getConfig, methodNotAllowed, notFound, payloadTooLarge } from "@op/core";
import type { DpopProof } from "@op/resource-server";
import { countProven, type Env, enforceRateLimit, type LimitedAction, refundRateLimit, refuseIfSpent } from "@op/storage";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { every } from "hono/combine";
import { createMiddleware } from "hono/factory";
import { clientAddress } from "./client-address";
import { authenticateClient } from "./client-auth";
import { dpopProof } from "./dpop";
import { type ErrorRenderers, type ErrorSurface, errorHandler } from "./errors";
import { discardBody, type ReadParams, readForm, rejectDuplicates } from "./form";

/** Carried from a caller (a proxy, the front Worker) and returned on every response. */
export const REQUEST_ID_HEADER = "x-request-id";
/** No endpoint takes more; larger bodies are refused before anything reads them. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** What the pipeline's steps put on a request's context, each written by one middleware. */
export interface OpVariables {
  requestId: string;
  errorSurface: ErrorSurface;
  /** The form body (formBody). */
  form: ReadParams;
  /** The client that authenticated, with the operator's grants (clientAuthentication). */
  client: AuthenticatedClient;
  /**
   * The outcome proved that the caller holds something this OP issued it (a code with its
   * verifier, a refresh token, a device code, a token it revoked): set by the endpoint (`provedPossession`).
   */
  proved: boolean;
  /** The challenge scheme of every error on this route, for errors whose code implies none (RFC 6750 §3). */
  challenge: ChallengeScheme;
  /** The route also takes DPoP-bound tokens: its errors offer a DPoP challenge too (RFC 9449 §7.1). */
  dpopChallenge: boolean;
  /** The request's verified DPoP proof (RFC 9449 §4.3), at the token and PAR endpoints (dpop.ts `dpopProof`); undefined without one. */
  dpop: DpopProof | undefined;
}
export type OpEnv<V extends object = object> = { Bindings: Env; Variables: OpVariables & V };
/** A Worker's request context; `V` adds the variables of that Worker's own steps. */
export type OpContext<V extends object = object> = Context<OpEnv<V>>;

/**
 * A Worker's app: every request gets a request id (the caller's when well-formed), one log line,
 * the size limit before any handler reads the body, and the one error handler; whatever body a
 * handler leaves unread is drained, so a caller over a service binding is not left streaming.
 */
export function opApp<V extends object = object>(
  worker: string,
  opts: { renderers?: ErrorRenderers; errorSurface?: (path: string) => ErrorSurface } = {},
): Hono<OpEnv<V>> {
  const app = new Hono<OpEnv>();
  app.use(requestId);
  app.use(async (c, next) => {
    c.set("errorSurface", opts.errorSurface?.(c.req.path) ?? "json");
    await next();
  });
  app.use(accessLog(worker));
  app.use(bodyLimit({ maxSize: MAX_REQUEST_BYTES, onError: () => Promise.reject(payloadTooLarge()) }));
  app.use(async (c, next) => {
    await next();
    await discardBody(c.req.raw);
  });
  app.notFound(() => {
    throw notFound("There is nothing at this address.");
  });
  app.onError(errorHandler(worker, opts.renderers));
  // The Worker's own variables (V) are set by its own steps; these only use the pipeline's.
  return app as unknown as Hono<OpEnv<V>>;
}

const WELL_FORMED_ID = /^[\w\-=]{1,64}$/;

/** The caller's request id when well-formed (a proxy's, the front Worker's), else a new one. */
export const requestIdOf = (request: Request): string => {
  const given = request.headers.get(REQUEST_ID_HEADER);
  return given && WELL_FORMED_ID.test(given) ? given : crypto.randomUUID();
};

/** The request id on the context (for the log) and on the response, whatever made the response. */
const requestId = createMiddleware<OpEnv>(async (c, next) => {
  const id = requestIdOf(c.req.raw);
  c.set("requestId", id);
  await next();
  setHeader(c, REQUEST_ID_HEADER, id);
});

/** Sets a header on the response, copying it first when its headers are immutable (a fetched response). */
export function setHeader(c: OpContext, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.res = new Response(c.res.body, c.res);
    c.res.headers.set(name, value);
  }
}

/**
 * One structured line per request: method, path (never the query: it may hold codes or tokens),
 * status and request id. Always for server errors, otherwise as LOG_REQUESTS says.
 */
export const accessLog = (worker: string) =>
  createMiddleware<OpEnv>(async (c, next) => {
    await next();
    const status = c.res.status;
    if (status < 500 && !getConfig(c.env).logRequests) return;
    const line = { level: status >= 500 ? "error" : "info", worker, requestId: c.get("requestId"), method: c.req.method, path: c.req.path, status };
    console.log(JSON.stringify(line));
  });

/** The answer for any other method on a path (RFC 9110 §15.5.6). */
export const onlyMethods = (allow: string) => () => {
  throw methodNotAllowed(allow);
};

/** Errors of the routes behind this middleware are shown as `surface`. */
export const errorsAs = (surface: ErrorSurface) =>
  createMiddleware<OpEnv>(async (c, next) => {
    c.set("errorSurface", surface);
    await next();
  });

/** RFC 6749 §3.2: the form body, read once, with no parameter repeated. */
export const formBody = (maxBytes?: number) =>
  createMiddleware<OpEnv>(async (c, next) => {
    const form = await readForm(c.req.raw, maxBytes);
    rejectDuplicates(form.duplicates);
    c.set("form", form);
    await next();
  });

/** RFC 6749 §2.3: the client authenticates with its registered method (client-auth/). */
export const clientAuthentication = createMiddleware<OpEnv>(async (c, next) => {
  c.set("client", await authenticateClient(c.env, c.req.raw, c.get("form").params));
  await next();
});

/** The endpoint's outcome proves possession of an artifact this OP issued (see `OpVariables.proved`). */
export const provedPossession = (c: OpContext) => c.set("proved", true);

/** A confidential client's successful authentication proved its secret, key or certificate; a public client's id proves nothing. */
const provesCredential = (client: AuthenticatedClient | undefined) => client !== undefined && client.token_endpoint_auth_method !== "none";

/**
 * Per address, only what attackers send counts: a request that proved nothing (no credential,
 * no artifact), or a confidential client's client error. Its own 429 (the client's budget) and
 * server errors do not count, so a busy relying party is governed by its client's budget alone.
 */
export function countsAgainstAddress(outcome: { credential: boolean; proved: boolean; status: number }): boolean {
  if (outcome.proved) return false;
  if (!outcome.credential) return true;
  return outcome.status >= 400 && outcome.status < 500 && outcome.status !== 429;
}

/**
 * The address's budget (rate-limits.ts) counts what attackers send (`countsAgainstAddress`). Each
 * request is counted before any work, so that a spent budget refuses at once and exactly, and is
 * given back once its outcome shows it did not count: to this isolate's batch, without a call to
 * the limiter, so a busy relying party's successes cost nothing.
 */
export const limitPerAddress = (action: LimitedAction) =>
  createMiddleware<OpEnv>(async (c, next) => {
    const ticket = await enforceRateLimit(c.env, action, clientAddress(c.req.raw));
    let status = 500;
    try {
      await next();
      status = c.res.status;
    } catch (err) {
      // Inside `every`, a later step's error reaches here thrown; the app's handler renders it.
      status = asOAuthError(err).status;
      throw err;
    } finally {
      const outcome = { credential: provesCredential(c.get("client")), proved: c.get("proved") === true, status };
      if (!countsAgainstAddress(outcome)) await refundRateLimit(c.env, ticket);
    }
  });

/**
 * The client's budget may be spent only by requests that prove something only the client holds.
 * A confidential client's authentication does: its requests are counted up front. A public
 * client's id does not, so a stranger who knows it could spend the budget; its requests count
 * once their outcome proved possession (`provedPossession`: a code with its verifier, a refresh
 * token, …), and are refused up front only once the budget is known to be spent.
 */
export const limitPerClient = (action: LimitedAction) =>
  createMiddleware<OpEnv>(async (c, next) => {
    const client = c.get("client");
    if (provesCredential(client)) {
      await enforceRateLimit(c.env, action, client.client_id);
      return next();
    }
    refuseIfSpent(c.env, action, client.client_id);
    try {
      await next();
    } finally {
      if (c.get("proved") === true) await countProven(c.env, action, client.client_id);
    }
  });

/**
 * The opening of every client-authenticated endpoint (token, PAR, device authorization,
 * introspection, revocation): the address's budget before any work, the form, the client, then
 * the client's budget; at the token and PAR endpoints (`dpop`), the DPoP proof (RFC 9449 §5,
 * §10.1) last, so that its jti is claimed only within the client's budget.
 */
export const clientAuthenticatedRequest = (
  opts: { beforeAuthentication?: MiddlewareHandler<OpEnv>[]; dpop?: "token" | "par" } = {},
): MiddlewareHandler<OpEnv> =>
  every(
    limitPerAddress("token:ip"),
    formBody(),
    ...(opts.beforeAuthentication ?? []),
    clientAuthentication,
    limitPerClient("token:client"),
    ...(opts.dpop ? [dpopProof(opts.dpop)] : []),
  );

/** RFC 6750 §3, RFC 9449 §7.1: every error of a protected resource carries a Bearer challenge, and a DPoP one with its algs. */
export const bearerChallenges = createMiddleware<OpEnv>(async (c, next) => {
  c.set("challenge", "Bearer");
  c.set("dpopChallenge", true);
  await next();
});
