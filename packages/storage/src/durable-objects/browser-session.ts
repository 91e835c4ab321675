import { DurableObject } from "cloudflare:workers";
import { type SessionRecord, SessionRecordSchema } from "@op/core";
import type { Env } from "../env";

/**
 * One object per browser session, named by the secret in the session cookie (the atom: one
 * login state per browser). The public `sid` inside differs from the cookie value, so an ID
 * token never carries a credential. The account's index (UserAccount) keeps this object's id,
 * which reaches the object without the cookie's secret, so the account and the operator can end
 * it. An alarm removes the session when it expires.
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

  /**
   * Records that `clientId` received tokens in this session, and the grant they belong to, for
   * logout: every client is told (front- and back-channel), and the grants are revoked unless
   * they hold offline access (OIDC Back-Channel Logout §2.7).
   */
  addClient(clientId: string, grantId?: string): void {
    const s = this.get();
    if (!s) return;
    const clients = s.clients.includes(clientId) ? s.clients : [...s.clients, clientId];
    const grants = grantId && !s.grants.includes(grantId) ? [...s.grants, grantId] : s.grants;
    if (clients !== s.clients || grants !== s.grants) this.ctx.storage.kv.put("session", { ...s, clients, grants });
  }

  /**
   * Ends the session and returns what it was, once: the read and the delete are one synchronous
   * step, so of concurrent ends (two tabs, the user and the operator) exactly one gets the record
   * and starts the relying parties' notifications. An expired session ends silently (null).
   */
  async end(now = Date.now()): Promise<SessionRecord | null> {
    const s = this.ctx.storage.kv.get<SessionRecord>("session") ?? null;
    if (!s) return null; // nothing stored, nothing to write
    this.ctx.storage.kv.delete("session");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    return now < s.expiresAt ? s : null;
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

export function sessionObject(env: Pick<Env, "SESSIONS">, cookieValue: string) {
  return env.SESSIONS.get(env.SESSIONS.idFromName(cookieValue));
}

/** The session whose object id (`sessionObject(…).id.toString()`) the account's index holds; null for anything else. */
export function sessionById(env: Pick<Env, "SESSIONS">, objectId: string) {
  if (!/^[0-9a-f]{64}$/.test(objectId)) return null;
  try {
    return env.SESSIONS.get(env.SESSIONS.idFromString(objectId));
  } catch {
    return null;
  }
}
