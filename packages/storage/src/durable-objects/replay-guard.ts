import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * One object per single-use identifier: a client assertion's `jti` (RFC 7523 §3), and later a
 * request object's or DPoP proof's. The object is named by purpose, issuer and jti, so the
 * first `claim` wins and every later or concurrent one sees the claim; an alarm forgets it once
 * the JWT has expired and could not be replayed anyway.
 */
export class ReplayGuard extends DurableObject<Env> {
  async claim(expiresAt: number): Promise<boolean> {
    if (this.ctx.storage.kv.get("claimed")) return false;
    this.ctx.storage.kv.put("claimed", Date.now());
    await this.ctx.storage.setAlarm(expiresAt);
    return true;
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

export type ReplayPurpose = "client-assertion" | "request-object" | "dpop" | "jwt-bearer";

/** True the first time `jti` is used by `issuer` for `purpose`; false for any replay. */
export function claimJti(env: Pick<Env, "REPLAY_GUARD">, purpose: ReplayPurpose, issuer: string, jti: string, expiresAt: number): Promise<boolean> {
  return env.REPLAY_GUARD.get(env.REPLAY_GUARD.idFromName(`${purpose}\n${issuer}\n${jti}`)).claim(expiresAt);
}
