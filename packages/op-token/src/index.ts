import { PATHS } from "@op/core";
import { apiCors, bearerChallenges, clientAuthenticatedRequest, onlyMethods, opApp } from "@op/http";
import { introspectionEndpoint } from "./introspection";
import { revocationEndpoint } from "./revocation";
import { requireGrantType, tokenEndpoint } from "./token-endpoint";
import { userinfoEndpoint } from "./userinfo";

/** op-token: the token endpoint with its grants, UserInfo, introspection and revocation. */
const app = opApp("op-token");

// Browser-based (public) clients call these cross-origin (http/cors.ts); introspection is for servers.
app.use(PATHS.token, apiCors(["POST"]));
app.use(PATHS.revocation, apiCors(["POST"]));
app.use(PATHS.userinfo, apiCors(["GET", "POST"]));

app.post(PATHS.token, clientAuthenticatedRequest({ beforeAuthentication: [requireGrantType], dpop: "token" }), tokenEndpoint);
app.all(PATHS.token, onlyMethods("POST"));
app.on(["GET", "POST"], PATHS.userinfo, bearerChallenges, userinfoEndpoint);
app.all(PATHS.userinfo, onlyMethods("GET, POST"));
app.post(PATHS.introspection, clientAuthenticatedRequest(), introspectionEndpoint);
app.all(PATHS.introspection, onlyMethods("POST"));
app.post(PATHS.revocation, clientAuthenticatedRequest({ dpop: "token" }), revocationEndpoint);
app.all(PATHS.revocation, onlyMethods("POST"));

export default app;
