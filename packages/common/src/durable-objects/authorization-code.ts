import { DurableObject } from "cloudflare:workers";
import { AuthorizationCodeRecordSchema, type AuthorizationCodeRecord } from "../schemas/records";
import type { Env } from "../env";

/** How long a consumed code's tombstone is kept so that a replay is still recognised (RFC 6749 §4.1.2). */
const TOMBSTONE_MS = 24 * 3600 * 1000;

export type ConsumeResult =
  | { status: "ok"; record: AuthorizationCodeRecord }
  | { status: "not_found" }
  | { status: "expired" }
  | { status: "client_mismatch" }
  | { status: "reused"; grantId: string };

/**
 * One object per authorization code (the atom: a code is redeemed at most once). The object is
 * named by the code itself, so redemption needs no index. `consume` reads and marks in one
 * synchronous step, so of any number of concurrent redemptions exactly one sees "ok".
 */
export class AuthorizationCode extends DurableObject<Env> {
  async issue(record: AuthorizationCodeRecord): Promise<void> {
    const parsed = AuthorizationCodeRecordSchema.parse(record);
    if (this.ctx.storage.kv.get("record") !== undefined) throw new Error("authorization code collision");
    this.ctx.storage.kv.put("record", parsed);
    await this.ctx.storage.setAlarm(parsed.expiresAt + TOMBSTONE_MS);
  }

  /** Redeems the code for `clientId`. A code presented by another client is left untouched. */
  consume(clientId: string, now = Date.now()): ConsumeResult {
    const record = this.ctx.storage.kv.get<AuthorizationCodeRecord>("record");
    if (!record) return { status: "not_found" };
    if (record.clientId !== clientId) return { status: "client_mismatch" };
    if (this.ctx.storage.kv.get("consumed")) return { status: "reused", grantId: record.grantId };
    this.ctx.storage.kv.put("consumed", now);
    if (now >= record.expiresAt) return { status: "expired" };
    return { status: "ok", record };
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

export function authorizationCodeObject(env: Pick<Env, "AUTHORIZATION_CODES">, code: string) {
  return env.AUTHORIZATION_CODES.get(env.AUTHORIZATION_CODES.idFromName(code));
}
