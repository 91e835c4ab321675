import { ACR_PASSWORD, AMR_PASSWORD, getConfig, type LogoutReason, randomToken, type SessionRecord } from "@op/core";
import { type EndedSession, type Env, endBrowserSession, sessionObject, startBrowserSession } from "@op/storage";
import { clearCookie, readCookie, setCookie } from "./cookies";

export interface CurrentSession {
  key: string;
  record: SessionRecord;
}

/** The browser's live session, from its cookie and the session's Durable Object. */
export async function currentSession(request: Request, env: Env): Promise<CurrentSession | null> {
  const key = readCookie(request, env, "session");
  if (!key || !/^[A-Za-z0-9_-]{43}$/.test(key)) return null;
  const record = await sessionObject(env, key).get();
  return record ? { key, record } : null;
}

/**
 * A fresh session on every login (no session fixation), entered in the account's index; returns
 * its Set-Cookie headers: the session cookie and the browser-state cookie (OIDC Session
 * Management §3), which changes with it, so check_session_iframe sees the login.
 */
export async function startSession(env: Env, sub: string): Promise<{ session: CurrentSession; cookies: string[] }> {
  const config = getConfig(env);
  const key = randomToken(32);
  const now = Date.now();
  const record: SessionRecord = {
    sub,
    authTime: Math.floor(now / 1000),
    acr: ACR_PASSWORD,
    amr: AMR_PASSWORD,
    sid: randomToken(16),
    createdAt: now,
    expiresAt: now + config.ttl.session * 1000,
    clients: [],
    grants: [],
    browserState: randomToken(16),
  };
  await startBrowserSession(env, key, record);
  const cookies = [
    setCookie(env, "session", key, { maxAge: config.ttl.session }),
    setCookie(env, "browserState", record.browserState!, { maxAge: config.ttl.session }),
  ];
  return { session: { key, record }, cookies };
}

/**
 * Ends the browser's session (once, whoever else ends it at the same moment) and starts telling
 * its relying parties; the cookies to clear go with the response whatever happened.
 */
export async function endSession(
  env: Env,
  session: CurrentSession | null,
  reason: LogoutReason = "end_session",
): Promise<{ ended: EndedSession | null; cookies: string[] }> {
  const ended = session ? await endBrowserSession(env, sessionObject(env, session.key), reason) : null;
  return { ended, cookies: [clearCookie(env, "session"), clearCookie(env, "browserState")] };
}
