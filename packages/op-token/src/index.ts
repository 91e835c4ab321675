import { PATHS } from "@op/core";
import { bearerChallenges, clientAuthenticatedRequest, onlyMethods, opApp } from "@op/http";
import { cors } from "hono/cors";
import { introspectionEndpoint } from "./introspection";
import { revocationEndpoint } from "./revocation";
import { requireGrantType, tokenEndpoint } from "./token-endpoint";
import { userinfoEndpoint } from "./userinfo";

/** op-token: the token endpoint with its grants, UserInfo, introspection and revocation. */
const app = opApp("op-token");

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

app.post(PATHS.token, clientAuthenticatedRequest({ beforeAuthentication: [requireGrantType] }), tokenEndpoint);
app.all(PATHS.token, onlyMethods("POST"));
app.on(["GET", "POST"], PATHS.userinfo, bearerChallenges, userinfoEndpoint);
app.all(PATHS.userinfo, onlyMethods("GET, POST"));
app.post(PATHS.introspection, clientAuthenticatedRequest(), introspectionEndpoint);
app.all(PATHS.introspection, onlyMethods("POST"));
app.post(PATHS.revocation, clientAuthenticatedRequest(), revocationEndpoint);
app.all(PATHS.revocation, onlyMethods("POST"));

export default app;
