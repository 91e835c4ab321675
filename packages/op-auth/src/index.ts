import { OAuthError, PATHS, workerFor } from "@op/core";
import { answered, errorResponse, MAX_REQUEST_BYTES, REQUEST_ID_HEADER, requestIdOf, serve } from "@op/http";
import type { Env } from "@op/storage";
import { Hono } from "hono";
import { authorizationEndpoint } from "./authorize/endpoint";
import { showDeviceVerification, submitDeviceConsent, submitDeviceLogin, submitUserCode } from "./device/verification";
import { errorPage } from "./html";
import { showInteraction, submitConsent, submitLogin } from "./interaction/routes";
import { confirmLogoutEndpoint, endSessionEndpoint } from "./logout/end-session";
import { pushedAuthorizationRequestEndpoint } from "./par/endpoint";
import { freshPublicDocument, viaPublicCache } from "./public-cache";

// op-auth hosts every Durable Object class; the other Workers bind them with script_name.
export {
  BrowserSession,
  ClientRegistration,
  DeviceAuthorization,
  Grant,
  Interaction,
  KeyStore,
  PushedAuthorizationRequest,
  RateLimiter,
  ReplayGuard,
  UserAccount,
} from "@op/storage";

/** op-auth: authorization, login and consent, device verification, logout. */
const app = new Hono<{ Bindings: Env }>();

app.on(["GET", "POST"], PATHS.authorization, (c) => authorizationEndpoint(c.req.raw, c.env));
app.post(PATHS.pushedAuthorizationRequest, (c) => pushedAuthorizationRequestEndpoint(c.req.raw, c.env));
app.get(`${PATHS.interaction}/:uid`, (c) => showInteraction(c.req.raw, c.env, c.req.param("uid")));
app.post(`${PATHS.interaction}/:uid/login`, (c) => submitLogin(c.req.raw, c.env, c.req.param("uid")));
app.post(`${PATHS.interaction}/:uid/consent`, (c) => submitConsent(c.req.raw, c.env, c.req.param("uid")));
app.on(["GET", "POST"], PATHS.endSession, (c) => endSessionEndpoint(c.req.raw, c.env));
app.post(`${PATHS.endSession}/confirm`, (c) => confirmLogoutEndpoint(c.req.raw, c.env));
app.get(PATHS.deviceVerification, (c) => showDeviceVerification(c.req.raw, c.env));
app.post(PATHS.deviceVerification, (c) => submitUserCode(c.req.raw, c.env));
app.post(`${PATHS.deviceVerification}/login`, (c) => submitDeviceLogin(c.req.raw, c.env));
app.post(`${PATHS.deviceVerification}/consent`, (c) => submitDeviceConsent(c.req.raw, c.env));
app.get("/", (c) => c.redirect(PATHS.openidConfiguration));
app.notFound(() => errorPage(new OAuthError("not_found", "There is nothing at this address.")));
app.onError((err, c) => {
  if (err instanceof OAuthError) return errorPage(err);
  return errorResponse(err, c.req.header(REQUEST_ID_HEADER));
});

const siblings = { "op-token": "OP_TOKEN", "op-discovery": "OP_DISCOVERY", "op-management": "OP_MANAGEMENT" } as const;

/** The front Worker's own paths, and op-discovery's documents, which it keeps (public-cache.ts). */
const front = serve(
  "op-auth",
  async (request, env, ctx) => {
    const worker = workerFor(new URL(request.url).pathname);
    if (worker === "op-discovery") return viaPublicCache(request, () => forward(env, worker, request));
    if (worker !== "op-auth") return forward(env, worker, request);
    return app.fetch(request, env, ctx);
  },
  (err, request) => (workerFor(new URL(request.url).pathname) === "op-auth" ? errorPage(err) : errorResponse(err)),
); // pages for browser endpoints

function forward(env: Env, worker: keyof typeof siblings, request: Request): Promise<Response> {
  const binding = env[siblings[worker]];
  if (!binding) return Promise.resolve(errorResponse(new OAuthError("temporarily_unavailable", `${worker} is not bound`)));
  return binding.fetch(request).catch((err) => errorResponse(err));
}

export default {
  /**
   * One issuer origin: paths served by a sibling Worker go to it over its service binding
   * (in production, zone routes can send them there directly; docs/architecture.md). They go
   * as they came: the sibling's own serve() gives them a request id, the size limit and a log
   * line, so the front does not copy the request and the response a second time. An oversized
   * body is refused here, before anything streams it to a sibling that would not read it.
   */
  fetch(request, env, ctx) {
    const url = new URL(request.url);
    const worker = workerFor(url.pathname);
    if (worker === "op-discovery") {
      // The hot path of discovery and JWKS: this isolate's copy, without copying the request.
      const copy = freshPublicDocument(request, url);
      if (copy) return Promise.resolve(answered(env, "op-auth", request, requestIdOf(request), copy));
    }
    const handOver = (worker === "op-token" || worker === "op-management") && Number(request.headers.get("content-length") ?? "0") <= MAX_REQUEST_BYTES;
    return handOver ? forward(env, worker, request) : front(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
