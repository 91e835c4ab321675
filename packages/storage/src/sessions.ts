import type { LogoutReason, LogoutRecord, SessionRecord, SessionSummary } from "@op/core";
import { type BrowserSession, sessionById, sessionObject } from "./durable-objects/browser-session";
import { logoutDeliveryObject } from "./durable-objects/logout-delivery";
import { userBySub } from "./durable-objects/user-account";
import type { Env } from "./env";

/**
 * Sessions as things people and operators act on: started into the account's index, listed with
 * the clients they served, ended one by one or all at once, and every end told to the relying
 * parties (front-channel by the logout page, back-channel by the session's LogoutDelivery object).
 */

type SessionEnv = Pick<Env, "SESSIONS" | "USERS" | "LOGOUT_DELIVERIES">;

/** Starts a session in its object (named by the cookie's secret) and enters it in the account's index by object id. */
export async function startBrowserSession(env: SessionEnv, cookieSecret: string, record: SessionRecord): Promise<void> {
  const session = sessionObject(env, cookieSecret);
  await session.start(record);
  const account = userBySub(env, record.sub);
  if (!account) throw new Error("a session for a subject that is not an account");
  await account.addSession({ sessionId: session.id.toString(), sid: record.sid, createdAt: record.createdAt, expiresAt: record.expiresAt });
}

/** A session that has just ended, and its relying parties' first back-channel notifications under way. */
export interface EndedSession {
  sub: string;
  sid: string;
  /** Every client the session served. */
  clients: string[];
  /** The first attempt of each back-channel delivery (LogoutDelivery.deliver); its alarm retries the rest. */
  notified: Promise<LogoutRecord | null>;
}

/**
 * Ends one session: its object gives its record to exactly one caller, that caller records the
 * logout in the session's LogoutDelivery object (which revokes the session's grants without
 * offline_access) and starts the back-channel notifications. Null when the session had already
 * ended (or expired): nobody is notified twice.
 */
export async function endBrowserSession(env: SessionEnv, session: DurableObjectStub<BrowserSession>, reason: LogoutReason): Promise<EndedSession | null> {
  const record = await session.end();
  if (!record) return null;
  const delivery = logoutDeliveryObject(env, record.sid);
  await Promise.all([
    delivery.begin({ sub: record.sub, sid: record.sid, endedAt: Date.now(), reason, clients: record.clients, grants: record.grants }),
    userBySub(env, record.sub)?.forgetSession(session.id.toString()),
  ]);
  return { sub: record.sub, sid: record.sid, clients: record.clients, notified: Promise.resolve(delivery.deliver()) };
}

/**
 * Every session of the account `sub` ends, each told to its relying parties as above: the one
 * function behind sign-out-everywhere (account pages), the admin API and deprovisioning (SCIM).
 * The caller decides how long to wait for the notifications (`noticesWithin`).
 */
export async function endSessionsOf(env: SessionEnv, sub: string, reason: LogoutReason = "admin"): Promise<EndedSession[]> {
  const account = userBySub(env, sub);
  if (!account) return [];
  const entries = await account.sessions();
  const ended = await Promise.all(
    entries.map(async (entry) => {
      const session = sessionById(env, entry.sessionId);
      if (!session) return null;
      const result = await endBrowserSession(env, session, reason);
      if (!result) await account.forgetSession(entry.sessionId); // it had ended already: drop the stale entry
      return result;
    }),
  );
  return ended.filter((e): e is EndedSession => e !== null);
}

/** The account's live sessions, newest first; entries of sessions that ended meanwhile are dropped from the index. */
export async function sessionsOf(env: SessionEnv, sub: string): Promise<SessionSummary[]> {
  const account = userBySub(env, sub);
  if (!account) return [];
  const entries = await account.sessions();
  const live = await Promise.all(
    entries.map(async (entry) => {
      const record = await sessionById(env, entry.sessionId)?.get();
      if (!record) {
        await account.forgetSession(entry.sessionId);
        return null;
      }
      return { sid: record.sid, authTime: record.authTime, createdAt: record.createdAt, expiresAt: record.expiresAt, clients: record.clients };
    }),
  );
  return live.filter((s): s is SessionSummary => s !== null).sort((a, b) => b.createdAt - a.createdAt);
}

/**
 * Waits at most `ms` for the first notifications of `ended` sessions, so nobody is held by a
 * slow relying party; `waitUntil` (the request's ExecutionContext) keeps the rest running after
 * the response. Each session's record as it stood when the wait ended, or null if not yet known.
 */
export async function noticesWithin(ended: EndedSession[], ms: number, waitUntil?: (p: Promise<unknown>) => void): Promise<(LogoutRecord | null)[]> {
  const known: (LogoutRecord | null)[] = ended.map(() => null);
  const all = Promise.all(ended.map((e, i) => e.notified.then((r) => (known[i] = r)).catch(() => null)));
  waitUntil?.(all);
  let timer: ReturnType<typeof setTimeout> | null = null;
  await Promise.race([all, new Promise((r) => (timer = setTimeout(r, ms)))]);
  if (timer !== null) clearTimeout(timer);
  return known;
}

/** The record of the logout of session `sid` (GET /admin/logouts/:sid). */
export function logoutRecord(env: Pick<Env, "LOGOUT_DELIVERIES">, sid: string): Promise<LogoutRecord | null> {
  return Promise.resolve(logoutDeliveryObject(env, sid).record());
}
