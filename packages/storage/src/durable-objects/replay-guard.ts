import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * One object per single-use identifier: the `jti` of a client assertion (RFC 7523 §3), a JWT
 * bearer assertion or a signed request object (RFC 9101 §10), and later a DPoP proof's. The
 * object is named by namespace, issuer and jti, so the first `claim` wins and every later or
 * concurrent one sees the claim; an alarm forgets it once the JWT has expired and could not be
 * replayed anyway.
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

/**
 * RFC 7519 §4.1.7: a jti is unique among all the JWTs its issuer makes, so the JWTs a client signs
 * with its registered keys share one namespace whatever role they are presented in: once used as
 * a request object, a client assertion or a JWT bearer assertion, a JWT is refused in every role
 * (RFC 8725 §2.8 cross-JWT confusion; oidc-provider keys its replay store by iss and jti alone).
 * DPoP proofs are signed with keys of their own, so theirs is apart.
 */
const REPLAY_NAMESPACE: Record<ReplayPurpose, string> = {
  "client-assertion": "client-jwt",
  "jwt-bearer": "client-jwt",
  "request-object": "client-jwt",
  dpop: "dpop",
};

/** True the first time `jti` is used by `issuer` in `purpose`'s namespace; false for any replay. */
export function claimJti(env: Pick<Env, "REPLAY_GUARD">, purpose: ReplayPurpose, issuer: string, jti: string, expiresAt: number): Promise<boolean> {
  return env.REPLAY_GUARD.get(env.REPLAY_GUARD.idFromName(`${REPLAY_NAMESPACE[purpose]}\n${issuer}\n${jti}`)).claim(expiresAt);
}
