import { OpenAPIHono } from "@hono/zod-openapi";
import { getConfig, invalidRequest, invalidToken, missingToken, notFound, PATHS, timingSafeEqual } from "@op/core";
import { bearerToken, type OpEnv } from "@op/http";
import { createMiddleware } from "hono/factory";
import { clientRoutes } from "./clients";
import { keyRoutes } from "./keys";
import { resourceRoutes } from "./resources";
import { describeIssues } from "./responses";
import { sessionRoutes } from "./sessions";

/** Where the admin API's own description is served, relative to /admin (public: it holds no secret). */
export const OPENAPI_PATH = "/openapi.json";
/**
 * The admin API: one OpenAPIHono app (mounted at /admin by op-management) whose every route is
 * declared with createRoute and zod schemas, so that /admin/openapi.json (OpenAPI 3.1) describes
 * exactly what it serves. Validation failures are invalid_request in the one error model; every
 * operation needs ADMIN_TOKEN as a bearer token, checked before anything reads the request; and
 * without ADMIN_TOKEN the admin API does not exist (404).
 */
export function adminApp(): OpenAPIHono<OpEnv> {
  const app = new OpenAPIHono<OpEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(describeIssues(result.error, result.target));
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: 'The ADMIN_TOKEN secret (RFC 6750). Errors carry the challenge `Bearer realm="<issuer>/admin"`.',
  });
  app.use("*", requireAdmin);
  keyRoutes(app);
  clientRoutes(app);
  resourceRoutes(app);
  sessionRoutes(app);
  app.doc31(OPENAPI_PATH, (c) => ({
    openapi: "3.1.0",
    info: {
      title: "OpenID Provider admin API",
      version: "1",
      description:
        "The operator's API: signing keys, client secrets and grants, resource servers, users' sessions and logouts. docs/configuration.md (Admin API).",
    },
    servers: [{ url: `${getConfig(c.env).issuer}/admin` }],
  }));
  return app;
}

/** ADMIN_TOKEN as a bearer token (RFC 6750 §2.1), compared in constant time; the description is public. */
const requireAdmin = createMiddleware<OpEnv>(async (c, next) => {
  const config = getConfig(c.env);
  if (!config.adminToken) throw notFound("the admin API is disabled (set ADMIN_TOKEN)");
  if (c.req.path === `${PATHS.admin}${OPENAPI_PATH}`) return next();
  const realm = `${config.issuer}/admin`;
  const token = bearerToken(c.req.raw);
  if (!token) throw missingToken("the admin API needs ADMIN_TOKEN as a bearer token", { realm });
  if (!timingSafeEqual(token, config.adminToken)) throw invalidToken("admin token is invalid", { realm });
  await next();
});
