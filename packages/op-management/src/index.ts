import { getConfig, PATHS } from "@op/core";
import { apiCors, onlyMethods, opApp } from "@op/http";
import { adminApp } from "./admin/app";
import { deleteClient, readClient, registerClient, updateClient } from "./registration";

/** op-management: dynamic client registration and management, and the admin API. */
const app = opApp("op-management");

// Browser-based clients (an MCP client in a page) register themselves where registration is on (http/cors.ts).
app.use(`${PATHS.registration}/*`, async (c, next) =>
  getConfig(c.env).registration === "disabled" ? next() : apiCors(["POST", "GET", "PUT", "DELETE"])(c, next),
);
app.use(PATHS.registration, async (c, next) => (getConfig(c.env).registration === "disabled" ? next() : apiCors(["POST"])(c, next)));

app.post(PATHS.registration, (c) => registerClient(c.req.raw, c.env));
app.all(PATHS.registration, onlyMethods("POST"));
app.get(`${PATHS.registration}/:clientId`, (c) => readClient(c.req.raw, c.env, c.req.param("clientId")));
app.put(`${PATHS.registration}/:clientId`, (c) => updateClient(c.req.raw, c.env, c.req.param("clientId")));
app.delete(`${PATHS.registration}/:clientId`, (c) => deleteClient(c.req.raw, c.env, c.req.param("clientId")));
app.all(`${PATHS.registration}/:clientId`, onlyMethods("GET, PUT, DELETE"));

// The admin API: one OpenAPI-described app (admin/app.ts), its document at /admin/openapi.json.
app.route(PATHS.admin, adminApp());

export default app;
