import { DurableObject } from "cloudflare:workers";
import { GrantRecordSchema, type GrantRecord } from "../schemas/records";
import { hashSecret, randomToken, timingSafeEqual } from "../crypto";
import type { Env } from "../env";

export type RotateResult =
  | { status: "ok"; grant: GrantRecord; refreshToken: string }
  | { status: "invalid" }
  | { status: "reused" }
  | { status: "revoked" }
  | { status: "invalid_scope" };

/** RFC 6749 §6: a refresh may narrow the scope but never widen it; null when it would widen. */
export function narrowScope(granted: string, requested: string | undefined): string | null {
  if (requested === undefined) return granted;
  const allowed = new Set(granted.split(" "));
  const wanted = [...new Set(requested.split(" ").filter(Boolean))];
  return wanted.length && wanted.every((s) => allowed.has(s)) ? wanted.join(" ") : null;
}

/**
 * One object per grant: everything issued from one authorization code (the refresh-token
 * family and the access tokens, which name the grant in their `gid` claim). The atom is the
 * family: rotation, reuse detection and revocation all happen here, in single synchronous
 * steps. RFC 9700 §4.14.2: presenting a rotated refresh token revokes the whole family.
 */
export class Grant extends DurableObject<Env> {
  private init() {
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS refresh_tokens (
      hash TEXT PRIMARY KEY, status TEXT NOT NULL, issued_at INTEGER NOT NULL)`);
  }

  /** Starts the grant on code redemption. If the code was replayed first, the grant stays revoked. */
  async activate(record: GrantRecord): Promise<{ refreshToken?: string }> {
    this.init();
    const grant = GrantRecordSchema.parse(record);
    const refresh = grant.offline ? await mintRefreshSecret() : undefined;
    if (!this.ctx.storage.kv.get("grant")) this.ctx.storage.kv.put("grant", grant);
    if (refresh) this.insertActive(refresh.hash);
    await this.ctx.storage.setAlarm(grant.expiresAt);
    return { refreshToken: refresh && `${grant.grantId}.${refresh.secret}` };
  }

  private insertActive(hash: string) {
    this.ctx.storage.sql.exec("INSERT INTO refresh_tokens (hash, status, issued_at) VALUES (?, 'active', ?)", hash, Date.now());
  }

  /** Returns the grant if it is still active (not revoked, not expired). */
  status(now = Date.now()): GrantRecord | null {
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    if (!grant || this.ctx.storage.kv.get("revoked") || now >= grant.expiresAt) return null;
    return grant;
  }

  revoke(): void {
    this.ctx.storage.kv.put("revoked", Date.now());
  }

  /** RFC 6749 §6 with rotation: the presented token must be the family's current one. */
  async rotate(presentedSecret: string, clientId: string, requestedScope?: string): Promise<RotateResult> {
    this.init();
    const presented = await hashSecret(presentedSecret);
    const next = await mintRefreshSecret();
    // From here on no await: check and write are one atomic step for the object.
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    const rows = this.ctx.storage.sql.exec<{ hash: string; status: string }>("SELECT hash, status FROM refresh_tokens").toArray();
    const row = rows.find((r) => timingSafeEqual(r.hash, presented));
    if (!grant || !row || grant.clientId !== clientId) return { status: "invalid" };
    if (this.ctx.storage.kv.get("revoked") || Date.now() >= grant.expiresAt) return { status: "revoked" };
    if (row.status !== "active") {
      this.revoke();
      return { status: "reused" };
    }
    // Checked before rotating, so a refused scope leaves the current token usable.
    const scope = narrowScope(grant.scope, requestedScope);
    if (scope === null) return { status: "invalid_scope" };
    this.ctx.storage.sql.exec("UPDATE refresh_tokens SET status = 'rotated' WHERE hash = ?", row.hash);
    this.insertActive(next.hash);
    return { status: "ok", grant: { ...grant, scope }, refreshToken: `${grant.grantId}.${next.secret}` };
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

async function mintRefreshSecret() {
  const secret = randomToken(32);
  return { secret, hash: await hashSecret(secret) };
}

export function grantObject(env: Pick<Env, "GRANTS">, grantId: string) {
  return env.GRANTS.get(env.GRANTS.idFromName(grantId));
}

/** Splits a refresh token `<grantId>.<secret>`; null when it has not that shape. */
export function parseRefreshToken(token: string): { grantId: string; secret: string } | null {
  const m = /^([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { grantId: m[1]!, secret: m[2]! } : null;
}
