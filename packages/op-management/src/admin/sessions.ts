import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { getConfig, notFound } from "@op/core";
import { NO_STORE, type OpContext, type OpEnv } from "@op/http";
import { endSessionsOf, logoutRecord, noticesWithin, sessionsOf, userBySub } from "@op/storage";
import { ADMIN_SECURITY, errorResponses, json } from "./responses";
import { AccountParam, AccountSessions, LogoutRecord, SessionIdParam, SignOutEverywhere } from "./schemas";

/**
 * The admin API's sessions (docs/logout.md): a user's live sessions with the clients each
 * served, sign-out-everywhere for a user, and what became of a logout's back-channel deliveries.
 */

const listSessions = createRoute({
  method: "get",
  path: "/users/{sub}/sessions",
  operationId: "listUserSessions",
  summary: "A user's live sessions",
  security: ADMIN_SECURITY,
  request: { params: AccountParam },
  responses: { 200: { description: "The account's live sessions.", content: json(AccountSessions) }, ...errorResponses(400, 401, 404) },
});

const signOutEverywhere = createRoute({
  method: "delete",
  path: "/users/{sub}/sessions",
  operationId: "signOutEverywhere",
  summary: "Sign a user out everywhere",
  description:
    "Ends every session of the account; every relying party of each is told (back-channel; the browser is not there for front-channel). The answer waits at most BACKCHANNEL_LOGOUT_WAIT_MS for the first attempts and shows where each delivery stood then; GET /logouts/{sid} shows the rest.",
  security: ADMIN_SECURITY,
  request: { params: AccountParam },
  responses: { 200: { description: "What ended, and each logout's deliveries so far.", content: json(SignOutEverywhere) }, ...errorResponses(400, 401, 404) },
});

const showLogout = createRoute({
  method: "get",
  path: "/logouts/{sid}",
  operationId: "readLogout",
  summary: "A logout and its back-channel deliveries",
  security: ADMIN_SECURITY,
  request: { params: SessionIdParam },
  responses: { 200: { description: "The logout of the session.", content: json(LogoutRecord) }, ...errorResponses(400, 401, 404) },
});

export function sessionRoutes(app: OpenAPIHono<OpEnv>) {
  app.openapi(listSessions, async (c) => {
    const sub = await existingAccount(c, c.req.valid("param").sub);
    // Parsed, not cast: what the objects answer must be what the document describes.
    return c.json(AccountSessions.parse({ sub, sessions: await sessionsOf(c.env, sub) }), 200, NO_STORE);
  });

  app.openapi(signOutEverywhere, async (c) => {
    const sub = await existingAccount(c, c.req.valid("param").sub);
    const ended = await endSessionsOf(c.env, sub, "admin");
    const logouts = await noticesWithin(ended, getConfig(c.env).logoutWait.backchannelMs, (p) => c.executionCtx.waitUntil(p));
    const body = SignOutEverywhere.parse({ sub, ended: ended.map((e, i) => ({ sid: e.sid, clients: e.clients, logout: logouts[i] })) });
    return c.json(body, 200, NO_STORE);
  });

  app.openapi(showLogout, async (c) => {
    const record = await logoutRecord(c.env, c.req.valid("param").sid);
    if (!record) throw notFound("no logout of this session is on record");
    return c.json(LogoutRecord.parse(record), 200, NO_STORE);
  });
}

async function existingAccount(c: OpContext, sub: string): Promise<string> {
  if (!(await userBySub(c.env, sub)?.profile())) throw notFound("no account with this sub");
  return sub;
}
