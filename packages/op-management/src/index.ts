import { getConfig, PATHS } from "@op/core";
import { apiCors, onlyMethods, opApp } from "@op/http";
import { listKeys, rotateClientSecret, rotateKeys } from "./admin";
import { deleteClient, readClient, registerClient, updateClient } from "./registration";
import { listSessions, showLogout, signOutEverywhere } from "./sessions";

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

app.post(`${PATHS.admin}/keys/rotate`, (c) => rotateKeys(c.req.raw, c.env));
app.get(`${PATHS.admin}/keys`, (c) => listKeys(c.req.raw, c.env));
app.post(`${PATHS.admin}/clients/:clientId/secret`, (c) => rotateClientSecret(c.req.raw, c.env, c.req.param("clientId")));
app.get(`${PATHS.admin}/users/:sub/sessions`, listSessions);
app.delete(`${PATHS.admin}/users/:sub/sessions`, signOutEverywhere);
app.get(`${PATHS.admin}/logouts/:sid`, showLogout);

export default app;
