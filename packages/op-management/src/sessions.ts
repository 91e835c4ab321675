import {
  AccountIdSchema,
  AccountSessionsResponseSchema,
  getConfig,
  invalidRequest,
  LogoutRecordSchema,
  notFound,
  SessionIdSchema,
  SignOutEverywhereResponseSchema,
} from "@op/core";
import { json, type OpContext } from "@op/http";
import { endSessionsOf, logoutRecord, noticesWithin, sessionsOf, userBySub } from "@op/storage";
import type { z } from "zod";

/**
 * The admin API's sessions (docs/logout.md): a user's live sessions with the clients each
 * served, sign-out-everywhere for a user, and what became of a logout's back-channel deliveries.
 * Paths and answers are the zod schemas of @op/core (schemas/logout.ts).
 */

function parsed<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequest(`${what}: ${result.error.issues[0]!.message}`);
  return result.data;
}

async function existingAccount(c: OpContext): Promise<string> {
  const sub = parsed(AccountIdSchema, c.req.param("sub"), "sub");
  if (!(await userBySub(c.env, sub)?.profile())) throw notFound("no account with this sub");
  return sub;
}

/** GET /admin/users/:sub/sessions */
export async function listSessions(c: OpContext): Promise<Response> {
  const sub = await existingAccount(c);
  return json(AccountSessionsResponseSchema.parse({ sub, sessions: await sessionsOf(c.env, sub) }));
}

/**
 * DELETE /admin/users/:sub/sessions: signs the user out everywhere (endSessionsOf). Every relying
 * party of every session is notified; the answer waits at most BACKCHANNEL_LOGOUT_WAIT_MS for the
 * first attempts and shows where each delivery stood then (GET /admin/logouts/:sid shows the rest).
 */
export async function signOutEverywhere(c: OpContext): Promise<Response> {
  const sub = await existingAccount(c);
  const ended = await endSessionsOf(c.env, sub, "admin");
  const logouts = await noticesWithin(ended, getConfig(c.env).logoutWait.backchannelMs, (p) => c.executionCtx.waitUntil(p));
  return json(SignOutEverywhereResponseSchema.parse({ sub, ended: ended.map((e, i) => ({ sid: e.sid, clients: e.clients, logout: logouts[i] })) }));
}

/** GET /admin/logouts/:sid: the logout of one session and each back-channel delivery (kept for a week). */
export async function showLogout(c: OpContext): Promise<Response> {
  const sid = parsed(SessionIdSchema, c.req.param("sid"), "sid");
  const record = await logoutRecord(c.env, sid);
  if (!record) throw notFound("no logout of this session is on record");
  return json(LogoutRecordSchema.parse(record));
}
