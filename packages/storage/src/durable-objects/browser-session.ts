import { DurableObject } from "cloudflare:workers";
import { type SessionRecord, SessionRecordSchema } from "@op/core";
import type { Env } from "../env";

/**
 * One object per browser session, named by the secret in the session cookie (the atom: one
 * login state per browser). The public `sid` inside differs from the cookie value, so an ID
 * token never carries a credential. An alarm removes the session when it expires.
 */
export class BrowserSession extends DurableObject<Env> {
  async start(record: SessionRecord): Promise<void> {
    const parsed = SessionRecordSchema.parse(record);
    this.ctx.storage.kv.put("session", parsed);
    await this.ctx.storage.setAlarm(parsed.expiresAt);
  }

  get(now = Date.now()): SessionRecord | null {
    const s = this.ctx.storage.kv.get<SessionRecord>("session");
    return s && now < s.expiresAt ? s : null;
  }

  /** Records that `clientId` received tokens in this session. */
  addClient(clientId: string): void {
    const s = this.ctx.storage.kv.get<SessionRecord>("session");
    if (s && !s.clients.includes(clientId)) this.ctx.storage.kv.put("session", { ...s, clients: [...s.clients, clientId] });
  }

  async end(): Promise<SessionRecord | null> {
    const s = this.ctx.storage.kv.get<SessionRecord>("session") ?? null;
    if (!s) return null; // nothing stored, nothing to write
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return s;
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

export function sessionObject(env: Pick<Env, "SESSIONS">, cookieValue: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(cookieValue));
}
