import { PATHS } from "@op/core";
import { drainUnreadBody, errorResponse, methodNotAllowed, notFound, REQUEST_ID_HEADER, serve } from "@op/http";
import type { Env } from "@op/storage";
import { Hono } from "hono";
import { cors } from "hono/cors";
import { deviceAuthorizationEndpoint } from "./device-authorization";
import { introspectionEndpoint } from "./introspection";
import { revocationEndpoint } from "./revocation";
import { tokenEndpoint } from "./token-endpoint";
import { userinfoEndpoint } from "./userinfo";

/** op-token: the token endpoint with its grants, device authorization, UserInfo, introspection and revocation. */
const app = new Hono<{ Bindings: Env }>();
app.use(drainUnreadBody);

// Browser-based (public) clients call these cross-origin; credentials are never cookies here.
app.use(
  PATHS.token,
  cors({
    origin: "*",
    allowMethods: ["POST"],
    allowHeaders: ["Authorization", "Content-Type", "DPoP"],
    exposeHeaders: ["Retry-After", "WWW-Authenticate"],
    maxAge: 600,
  }),
);
app.use(PATHS.revocation, cors({ origin: "*", allowMethods: ["POST"], allowHeaders: ["Authorization", "Content-Type"], maxAge: 600 }));
app.use(
  PATHS.userinfo,
  cors({
    origin: "*",
    allowMethods: ["GET", "POST"],
    allowHeaders: ["Authorization", "Content-Type", "DPoP"],
    exposeHeaders: ["WWW-Authenticate"],
    maxAge: 600,
  }),
);

app.post(PATHS.token, (c) => tokenEndpoint(c.req.raw, c.env));
app.all(PATHS.token, () => methodNotAllowed("POST"));
app.post(PATHS.deviceAuthorization, (c) => deviceAuthorizationEndpoint(c.req.raw, c.env));
app.all(PATHS.deviceAuthorization, () => methodNotAllowed("POST"));
app.on(["GET", "POST"], PATHS.userinfo, (c) => userinfoEndpoint(c.req.raw, c.env));
app.all(PATHS.userinfo, () => methodNotAllowed("GET, POST"));
app.post(PATHS.introspection, (c) => introspectionEndpoint(c.req.raw, c.env));
app.all(PATHS.introspection, () => methodNotAllowed("POST"));
app.post(PATHS.revocation, (c) => revocationEndpoint(c.req.raw, c.env));
app.all(PATHS.revocation, () => methodNotAllowed("POST"));
app.notFound(() => notFound());
app.onError((err, c) => errorResponse(err, c.req.header(REQUEST_ID_HEADER)));

export default { fetch: serve("op-token", async (request, env, ctx) => app.fetch(request, env, ctx)) } satisfies ExportedHandler<Env>;
