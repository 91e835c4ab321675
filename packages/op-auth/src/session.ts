import { ACR_PASSWORD, AMR_PASSWORD, getConfig, randomToken, type SessionRecord } from "@op/core";
import { type Env, sessionObject } from "@op/storage";
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

/** A fresh session on every login (no session fixation); returns its Set-Cookie header. */
export async function startSession(env: Env, sub: string): Promise<{ session: CurrentSession; cookie: string }> {
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
  };
  await sessionObject(env, key).start(record);
  return { session: { key, record }, cookie: setCookie(env, "session", key, { maxAge: config.ttl.session }) };
}

export async function endSession(env: Env, session: CurrentSession | null): Promise<string> {
  if (session) await sessionObject(env, session.key).end();
  return clearCookie(env, "session");
}
