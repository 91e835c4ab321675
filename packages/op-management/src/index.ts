import { PATHS } from "@op/core";
import { onlyMethods, opApp } from "@op/http";
import { adminApp } from "./admin/app";
import { deleteClient, readClient, registerClient, updateClient } from "./registration";

/** op-management: dynamic client registration and management, and the admin API. */
const app = opApp("op-management");

app.post(PATHS.registration, (c) => registerClient(c.req.raw, c.env));
app.all(PATHS.registration, onlyMethods("POST"));
app.get(`${PATHS.registration}/:clientId`, (c) => readClient(c.req.raw, c.env, c.req.param("clientId")));
app.put(`${PATHS.registration}/:clientId`, (c) => updateClient(c.req.raw, c.env, c.req.param("clientId")));
app.delete(`${PATHS.registration}/:clientId`, (c) => deleteClient(c.req.raw, c.env, c.req.param("clientId")));
app.all(`${PATHS.registration}/:clientId`, onlyMethods("GET, PUT, DELETE"));

// The admin API: one OpenAPI-described app (admin/app.ts), its document at /admin/openapi.json.
app.route(PATHS.admin, adminApp());

export default app;
