import { PATHS } from "@op/core";
import { drainUnreadBody, errorResponse, methodNotAllowed, notFound, REQUEST_ID_HEADER, serve } from "@op/http";
import type { Env } from "@op/storage";
import { Hono } from "hono";
import { listKeys, rotateClientSecret, rotateKeys } from "./admin";
import { deleteClient, readClient, registerClient, updateClient } from "./registration";

/** op-management: dynamic client registration and management, and the admin API. */
const app = new Hono<{ Bindings: Env }>();
app.use(drainUnreadBody);

app.post(PATHS.registration, (c) => registerClient(c.req.raw, c.env));
app.all(PATHS.registration, () => methodNotAllowed("POST"));
app.get(`${PATHS.registration}/:clientId`, (c) => readClient(c.req.raw, c.env, c.req.param("clientId")));
app.put(`${PATHS.registration}/:clientId`, (c) => updateClient(c.req.raw, c.env, c.req.param("clientId")));
app.delete(`${PATHS.registration}/:clientId`, (c) => deleteClient(c.req.raw, c.env, c.req.param("clientId")));
app.all(`${PATHS.registration}/:clientId`, () => methodNotAllowed("GET, PUT, DELETE"));

app.post(`${PATHS.admin}/keys/rotate`, (c) => rotateKeys(c.req.raw, c.env));
app.get(`${PATHS.admin}/keys`, (c) => listKeys(c.req.raw, c.env));
app.post(`${PATHS.admin}/clients/:clientId/secret`, (c) => rotateClientSecret(c.req.raw, c.env, c.req.param("clientId")));

app.notFound(() => notFound());
app.onError((err, c) => errorResponse(err, c.req.header(REQUEST_ID_HEADER)));

export default { fetch: serve("op-management", async (request, env, ctx) => app.fetch(request, env, ctx)) } satisfies ExportedHandler<Env>;
