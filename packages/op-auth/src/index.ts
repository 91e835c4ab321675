import { Hono } from "hono";
import { errorResponse, OAuthError, PATHS, REQUEST_ID_HEADER, serve, workerFor, type Env } from "@op/common";
import { authorizationEndpoint } from "./authorize/endpoint";
import { showInteraction, submitConsent, submitLogin } from "./interaction/routes";
import { confirmLogoutEndpoint, endSessionEndpoint } from "./logout/end-session";
import { showDeviceVerification, submitDeviceConsent, submitDeviceLogin, submitUserCode } from "./device/verification";
import { errorPage } from "./html";

// op-auth hosts every Durable Object class; the other Workers bind them with script_name.
export { KeyStore, ClientRegistration, UserAccount, BrowserSession, Interaction, AuthorizationCode, Grant, ReplayGuard, DeviceAuthorization, RateLimiter } from "@op/common";

/** op-auth: authorization, login and consent, device verification, logout. */
const app = new Hono<{ Bindings: Env }>();

app.on(["GET", "POST"], PATHS.authorization, (c) => authorizationEndpoint(c.req.raw, c.env));
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

export default {
  /**
   * One issuer origin: paths served by a sibling Worker go to it over its service binding
   * (in production, zone routes can send them there directly; docs/architecture.md).
   */
  fetch: serve("op-auth", async (request, env, ctx) => {
    const worker = workerFor(new URL(request.url).pathname);
    if (worker !== "op-auth") {
      const binding = env[siblings[worker]];
      if (!binding) return errorResponse(new OAuthError("temporarily_unavailable", `${worker} is not bound`));
      return binding.fetch(request);
    }
    return app.fetch(request, env, ctx);
  }, (err, request) => (workerFor(new URL(request.url).pathname) === "op-auth" ? errorPage(err) : errorResponse(err))), // pages for browser endpoints
} satisfies ExportedHandler<Env>;
