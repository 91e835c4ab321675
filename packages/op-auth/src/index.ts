import { getConfig, PATHS, temporarilyUnavailable, workerFor } from "@op/core";
import { clientAuthenticatedRequest, errorJson, MAX_REQUEST_BYTES, onlyMethods, opApp, REQUEST_ID_HEADER, requestIdOf } from "@op/http";
import { spaceSeparated } from "@op/rules";
import type { Env } from "@op/storage";
import type { AuthorizationContext } from "./authorization/context";
import { authorizationEndpoint } from "./authorization/endpoints/authorize";
import { deviceAuthorizationEndpoint } from "./authorization/endpoints/device-authorization";
import { pushedAuthorizationRequestEndpoint } from "./authorization/endpoints/par";
import { authorizationErrorResponse } from "./authorization/response/respond";
import { showMailbox } from "./dev/mailbox";
import { showDeviceVerification, submitDeviceConsent, submitDeviceLogin, submitUserCode } from "./device/verification";
import { errorPage } from "./html";
import { showInteraction, submitConsent, submitLogin } from "./interaction/routes";
import { checkSessionIframe } from "./logout/check-session";
import { confirmLogoutEndpoint, endSessionEndpoint } from "./logout/end-session";
import { freshPublicDocument, viaPublicCache } from "./public-cache";
import { localeOf } from "./ui/i18n";

// op-auth hosts every Durable Object class; the other Workers bind them with script_name.
export {
  BrowserSession,
  ClientRegistration,
  DeviceAuthorization,
  DevMailbox,
  Grant,
  Interaction,
  KeyStore,
  PushedAuthorizationRequest,
  RateLimiter,
  ReplayGuard,
  ResourceRegistry,
  UserAccount,
} from "@op/storage";
export { LogoutDelivery } from "./logout/delivery";

/** Paths of this Worker that answer machines with JSON (RFC 9126 §2.3, RFC 8628 §3.2); every other one of its paths is a page. */
const JSON_PATHS = new Set<string>([PATHS.pushedAuthorizationRequest, PATHS.deviceAuthorization]);

/** op-auth: authorization, PAR, device authorization, login and consent, device verification, logout; the front of the issuer origin. */
const app = opApp<{ authorization: AuthorizationContext }>("op-auth", {
  renderers: {
    page: (err, c) => errorPage(err, c.env, localeOf(c.req.raw, spaceSeparated(c.req.query("ui_locales")))),
    // RFC 6749 §4.1.2.1: an authorization request's error goes to the client once its redirect URI is trusted.
    // When even the error cannot be delivered (a JARM response without a usable key), it is a page.
    redirect: async (err, c) => {
      const target = (c.get("authorization") as AuthorizationContext | undefined)?.errorTarget();
      return target ? authorizationErrorResponse(c.env, target, err).catch(() => undefined) : undefined;
    },
  },
  errorSurface: (path) => (workerFor(path) === "op-auth" && !JSON_PATHS.has(path) ? "page" : "json"),
});

// The sibling Workers' paths that reach this app: discovery documents (kept here, public-cache.ts),
// and requests the front could not hand over as they came (see fetch below).
app.use(async (c, next) => {
  const worker = workerFor(c.req.path);
  if (worker === "op-auth") return next();
  if (worker === "op-discovery") return viaPublicCache(c.req.raw, () => forward(c.env, worker, c.req.raw));
  return forward(c.env, worker, c.req.raw);
});

app.on(["GET", "POST"], PATHS.authorization, authorizationEndpoint);
app.post(PATHS.pushedAuthorizationRequest, clientAuthenticatedRequest({ dpop: "par" }), pushedAuthorizationRequestEndpoint);
app.post(PATHS.deviceAuthorization, clientAuthenticatedRequest(), deviceAuthorizationEndpoint);
app.all(PATHS.deviceAuthorization, onlyMethods("POST"));
app.get(`${PATHS.interaction}/:uid`, showInteraction);
app.post(`${PATHS.interaction}/:uid/login`, submitLogin);
app.post(`${PATHS.interaction}/:uid/consent`, submitConsent);
app.on(["GET", "POST"], PATHS.endSession, endSessionEndpoint);
app.post(`${PATHS.endSession}/confirm`, confirmLogoutEndpoint);
app.get(PATHS.checkSession, checkSessionIframe);
app.get(PATHS.deviceVerification, (c) => showDeviceVerification(c.req.raw, c.env));
app.post(PATHS.deviceVerification, (c) => submitUserCode(c.req.raw, c.env));
app.post(`${PATHS.deviceVerification}/login`, (c) => submitDeviceLogin(c.req.raw, c.env));
app.post(`${PATHS.deviceVerification}/consent`, (c) => submitDeviceConsent(c.req.raw, c.env));
app.get(PATHS.devMailbox, showMailbox);
app.get("/", (c) => c.redirect(PATHS.openidConfiguration));

const siblings = { "op-token": "OP_TOKEN", "op-discovery": "OP_DISCOVERY", "op-management": "OP_MANAGEMENT" } as const;

function forward(env: Env, worker: keyof typeof siblings, request: Request): Promise<Response> {
  const binding = env[siblings[worker]];
  if (!binding) return Promise.resolve(errorJson(temporarilyUnavailable(`${worker} is not bound`), getConfig(env).issuer));
  return binding.fetch(request);
}

export default {
  /**
   * One issuer origin: paths served by a sibling Worker go to it over its service binding
   * (in production, zone routes can send them there directly; docs/architecture.md). Token and
   * management requests go as they came: the sibling's own pipeline gives them a request id, the
   * size limit and a log line, so the front does not copy the request and the response a second
   * time. Discovery documents are answered from this isolate's copy while it is fresh. Anything
   * else, an oversized body included, goes through this Worker's own app.
   */
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const worker = workerFor(url.pathname);
    if (worker === "op-discovery") {
      const copy = freshPublicDocument(request, url);
      if (copy) return withRequestId(env, request, copy);
    }
    const handOver = (worker === "op-token" || worker === "op-management") && Number(request.headers.get("content-length") ?? "0") <= MAX_REQUEST_BYTES;
    return handOver ? forward(env, worker, request) : app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;

/** The hot path of discovery and JWKS skips the app: it still answers with a request id and its log line. */
function withRequestId(env: Env, request: Request, response: Response): Response {
  const requestId = requestIdOf(request);
  response.headers.set(REQUEST_ID_HEADER, requestId);
  if (getConfig(env).logRequests) {
    console.log(
      JSON.stringify({ level: "info", worker: "op-auth", requestId, method: request.method, path: new URL(request.url).pathname, status: response.status }),
    );
  }
  return response;
}
