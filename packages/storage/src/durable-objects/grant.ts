import { DurableObject } from "cloudflare:workers";
import {
  type AuthorizationCodeRecord,
  type AuthorizationCodeRecordInput,
  AuthorizationCodeRecordSchema,
  base64url,
  type GrantRecord,
  GrantRecordSchema,
  getConfig,
  hashSecret,
  randomToken,
  sha256,
} from "@op/core";
import { dpopJktRefusal, narrowScope, pkceRefusal, redirectUriRefusal, refreshBindingRefusal, resourceNotGranted, wantsRefreshToken } from "@op/rules";
import type { Env } from "../env";

export type RotateResult =
  | { status: "ok"; grant: GrantRecord; refreshToken: string }
  | { status: "invalid" }
  | { status: "reused" }
  | { status: "revoked" }
  | { status: "invalid_scope" }
  | { status: "invalid_target" }
  | { status: "dpop_refused"; description: string };

/** How long a redeemed code's tombstone is kept so that a replay is still recognised (RFC 6749 §4.1.2). */
const CODE_TOMBSTONE_MS = 24 * 3600 * 1000;

/** What the token request presents with a code (RFC 6749 §4.1.3, RFC 7636 §4.5, RFC 8707 §2.2). */
export interface CodeRedemption {
  clientId: string;
  /** The client's grant_types: whether it may receive a refresh token (OIDC Core §11). */
  grantTypes: string[];
  redirectUri?: string;
  codeVerifier?: string;
  /** `s256Of(codeVerifier)`, computed before the call. */
  codeVerifierS256?: string;
  /** Resources the access token is asked for; each must have been granted. */
  resources: string[];
  /** RFC 9449 §10: the key of the token request's DPoP proof, if any (a code with dpop_jkt needs it). */
  dpopJkt?: string;
  /** RFC 9449 §5: the key the grant's refresh tokens are bound to (a public client's proof key). */
  refreshJkt?: string;
}

export type RedeemCodeResult =
  | { status: "ok"; code: AuthorizationCodeRecord; refreshToken?: string }
  | { status: "not_found" }
  | { status: "expired" }
  | { status: "client_mismatch" }
  | { status: "reused" }
  | { status: "revoked" }
  | { status: "refused"; description: string }
  | { status: "invalid_target"; resource: string };

/**
 * One object per grant: the authorization code and everything issued from it (the
 * refresh-token family and the access tokens, which name the grant in their `gid` claim). The
 * atom is the family: redemption, rotation, reuse detection and revocation all happen here, in
 * single synchronous steps. RFC 6749 §4.1.2: a replayed code revokes the grant in the same step
 * that refuses it. RFC 9700 §4.14.2: presenting a rotated refresh token revokes the whole family.
 * A client's client_credentials tokens share one grant (`clientCredentialsGrantId`).
 */
export class Grant extends DurableObject<Env> {
  /** The alarm that deletes the grant is only ever moved later: each part keeps what it needs. */
  private async keepUntil(at: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at > current) await this.ctx.storage.setAlarm(at);
  }

  /** Holds the grant's authorization code (named by `grantIdOfCode`) until it is redeemed. */
  async holdCode(record: AuthorizationCodeRecordInput): Promise<void> {
    const parsed = AuthorizationCodeRecordSchema.parse(record);
    if (this.ctx.storage.kv.get("code") !== undefined) throw new Error("authorization code collision");
    this.ctx.storage.kv.put("code", parsed);
    await this.keepUntil(parsed.expiresAt + CODE_TOMBSTONE_MS);
  }

  /**
   * Redeems the code and starts the grant in one step: of any number of concurrent redemptions
   * exactly one sees "ok", and a grant exists exactly when a redemption succeeded. A code
   * presented by another client is left untouched. Once the client matches, the first attempt
   * uses the code up, even if its redirect URI, verifier or resources are refused.
   */
  async redeemCode(r: CodeRedemption, now = Date.now()): Promise<RedeemCodeResult> {
    const refresh = await mintRefreshSecret();
    // From here on no await until the writes are done: check and write are one atomic step.
    const code = this.ctx.storage.kv.get<AuthorizationCodeRecord>("code");
    if (!code) return { status: "not_found" };
    if (code.clientId !== r.clientId) return { status: "client_mismatch" };
    if (this.ctx.storage.kv.get("code-redeemed") !== undefined) {
      this.revoke();
      return { status: "reused" };
    }
    this.ctx.storage.kv.put("code-redeemed", now);
    // Its session ended before the code came back (endWithSession): no tokens for a logged-out session.
    if (this.ctx.storage.kv.get("revoked") !== undefined) return { status: "revoked" };
    if (now >= code.expiresAt) return { status: "expired" };
    const redirect = redirectUriRefusal(code, r.redirectUri);
    if (redirect) return { status: "refused", description: redirect };
    const pkce = pkceRefusal(code, r.codeVerifier, r.codeVerifierS256);
    if (pkce) return { status: "refused", description: pkce };
    const dpop = dpopJktRefusal(code.dpopJkt, r.dpopJkt);
    if (dpop) return { status: "refused", description: dpop };
    const extra = resourceNotGranted(code.resources, r.resources);
    if (extra !== undefined) return { status: "invalid_target", resource: extra };
    const offline = wantsRefreshToken(r.grantTypes, code.scope);
    const ttl = getConfig(this.env).ttl;
    const grant = GrantRecordSchema.parse({
      ...code,
      createdAt: now,
      expiresAt: now + (offline ? ttl.refreshToken : ttl.accessToken) * 1000,
      offline,
      refreshJkt: offline ? r.refreshJkt : undefined,
    });
    this.storeGrant(grant, offline ? refresh.hash : undefined);
    await this.keepUntil(grant.expiresAt);
    return { status: "ok", code, refreshToken: offline ? `${grant.grantId}.${refresh.secret}` : undefined };
  }

  /**
   * Starts the grant, or extends it: a hybrid flow activates it for the access token from the
   * authorization endpoint, and `redeemCode` extends it with the refresh token. A revocation
   * (a replayed code) is kept apart from the record, so it survives either order.
   */
  async activate(record: GrantRecord): Promise<{ refreshToken?: string }> {
    const grant = GrantRecordSchema.parse(record);
    const refresh = grant.offline ? await mintRefreshSecret() : undefined;
    this.storeGrant(grant, refresh?.hash);
    await this.keepUntil(grant.expiresAt);
    return { refreshToken: refresh && `${grant.grantId}.${refresh.secret}` };
  }

  /** Stores or extends the grant record, with a first refresh token of the family if given. */
  private storeGrant(grant: GrantRecord, refreshHash: string | undefined) {
    const existing = this.ctx.storage.kv.get<GrantRecord>("grant");
    if (!existing || grant.expiresAt >= existing.expiresAt) this.ctx.storage.kv.put("grant", grant);
    if (refreshHash) this.insertActive(refreshHash);
    this.pruneRevokedAccessTokens();
  }

  /**
   * A client's client_credentials grant lives as long as it keeps being extended, so revocation
   * records of access tokens that have expired since are dropped here: a token revoked at time r
   * was issued before r and so expires before r + the access-token lifetime (+ clock skew).
   */
  private pruneRevokedAccessTokens(now = Date.now()) {
    const config = getConfig(this.env);
    const cutoff = now - (config.ttl.accessToken + config.clockSkew) * 1000;
    const expired = [...this.ctx.storage.kv.list<number>({ prefix: "revoked-jti:" })].filter(([, revokedAt]) => revokedAt < cutoff);
    for (const [key] of expired) this.ctx.storage.kv.delete(key);
  }

  /** The family's table is created with its first token: a lookup never creates it (a stranger's guess leaves nothing). */
  private insertActive(hash: string) {
    this.ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS refresh_tokens (
      hash TEXT PRIMARY KEY, status TEXT NOT NULL, issued_at INTEGER NOT NULL)`);
    this.ctx.storage.sql.exec("INSERT INTO refresh_tokens (hash, status, issued_at) VALUES (?, 'active', ?)", hash, Date.now());
  }

  /**
   * The grant if it is still active (not revoked, not expired); with `jti`, also null when that
   * access token was revoked on its own (RFC 7009). Revocation records live until the grant's
   * alarm, which is never earlier than the expiry of the tokens it issued.
   */
  status(jti?: string, now = Date.now()): GrantRecord | null {
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    if (!grant || this.ctx.storage.kv.get("revoked") || now >= grant.expiresAt) return null;
    if (jti !== undefined && this.ctx.storage.kv.get(`revoked-jti:${jti}`)) return null;
    return grant;
  }

  private revoke(): void {
    this.ctx.storage.kv.put("revoked", Date.now());
  }

  /**
   * OIDC Back-Channel Logout §2.7: the session this grant was started in has ended. Without
   * offline_access the grant (its refresh tokens, its access tokens, a code not yet redeemed)
   * ends with it; with offline_access it stays, as the user asked for access beyond the session.
   * True when it was revoked.
   */
  endWithSession(): boolean {
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    const code = this.ctx.storage.kv.get<AuthorizationCodeRecord>("code");
    const scope = grant?.scope ?? code?.scope;
    if (scope === undefined || outlivesSession(scope)) return false;
    this.revoke();
    return true;
  }

  /** RFC 7009 §2.1: revokes one access token of this grant, if it belongs to `clientId`. */
  revokeAccessToken(jti: string, clientId: string): boolean {
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    if (!grant || grant.clientId !== clientId) return false;
    this.ctx.storage.kv.put(`revoked-jti:${jti}`, Date.now());
    return true;
  }

  /**
   * By primary key, so a family that has rotated thousands of times costs the same. Looking up
   * a SHA-256 of a 256-bit secret reveals nothing useful through timing: no one can aim at a hash.
   */
  private findRefreshToken(hash: string) {
    if (!this.hasRefreshTokens()) return undefined;
    return this.ctx.storage.sql
      .exec<{ hash: string; status: string; issued_at: number }>("SELECT hash, status, issued_at FROM refresh_tokens WHERE hash = ?", hash)
      .toArray()[0];
  }

  /** Whether a refresh token was ever stored here; reading sqlite_master writes nothing. */
  private hasRefreshTokens(): boolean {
    return this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'refresh_tokens'").toArray().length > 0;
  }

  /** RFC 7662: the grant and issue time of a refresh token, if it is the family's current one. */
  async refreshTokenStatus(secret: string): Promise<{ grant: GrantRecord; issuedAt: number } | null> {
    const hash = await hashSecret(secret);
    const row = this.findRefreshToken(hash);
    const grant = this.status();
    return row && row.status === "active" && grant ? { grant, issuedAt: row.issued_at } : null;
  }

  /** RFC 7009 §2.1: revoking a refresh token revokes its whole family, if `clientId` owns it. */
  async revokeRefreshToken(secret: string, clientId: string): Promise<boolean> {
    const hash = await hashSecret(secret);
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    if (!grant || grant.clientId !== clientId || !this.findRefreshToken(hash)) return false;
    this.revoke();
    return true;
  }

  /**
   * RFC 6749 §6 with rotation: the presented token must be the family's current one. RFC 9449 §5:
   * a family bound to a DPoP key needs a proof by that key, checked before anything else, so a
   * stolen token without its key changes nothing (not even reuse detection); `bindTo` binds a
   * family that is not yet bound (a public client that started using DPoP).
   */
  async rotate(
    presentedSecret: string,
    clientId: string,
    requested: { scope?: string; resources?: string[]; dpopJkt?: string; bindTo?: string } = {},
  ): Promise<RotateResult> {
    const presented = await hashSecret(presentedSecret);
    const next = await mintRefreshSecret();
    // From here on no await: check and write are one atomic step for the object.
    const grant = this.ctx.storage.kv.get<GrantRecord>("grant");
    const row = this.findRefreshToken(presented);
    if (!grant || !row || grant.clientId !== clientId) return { status: "invalid" };
    const binding = refreshBindingRefusal(grant.refreshJkt, requested.dpopJkt);
    if (binding) return { status: "dpop_refused", description: binding };
    if (this.ctx.storage.kv.get("revoked") || Date.now() >= grant.expiresAt) return { status: "revoked" };
    if (row.status !== "active") {
      this.revoke();
      return { status: "reused" };
    }
    // Checked before rotating, so a refused scope or resource leaves the current token usable.
    const scope = narrowScope(grant.scope, requested.scope);
    if (scope === null) return { status: "invalid_scope" };
    if (resourceNotGranted(grant.resources, requested.resources ?? []) !== undefined) return { status: "invalid_target" };
    this.ctx.storage.sql.exec("UPDATE refresh_tokens SET status = 'rotated' WHERE hash = ?", row.hash);
    this.insertActive(next.hash);
    const bound = grant.refreshJkt === undefined && requested.bindTo !== undefined ? { ...grant, refreshJkt: requested.bindTo } : grant;
    if (bound !== grant) this.ctx.storage.kv.put("grant", bound);
    return { status: "ok", grant: { ...bound, scope }, refreshToken: `${grant.grantId}.${next.secret}` };
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

/** OIDC Core §11: offline_access asks for access while the user is not logged in, so such a grant outlives the session. */
const outlivesSession = (scope: string) => scope.split(" ").includes("offline_access");

async function mintRefreshSecret() {
  const secret = randomToken(32);
  return { secret, hash: await hashSecret(secret) };
}

export function grantObject(env: Pick<Env, "GRANTS">, grantId: string) {
  return env.GRANTS.get(env.GRANTS.idFromName(grantId));
}

/**
 * The grant of every client_credentials token of a client (RFC 6749 §4.4): one long-lived object
 * per client, named so that it cannot collide with a random grant id (no ':' in base64url). It
 * holds the revocation records of the client's tokens; the tokens themselves carry everything else.
 */
export const clientCredentialsGrantId = (clientId: string) => `cc:${clientId}`;

/**
 * The grant that holds an authorization code: named by a digest of the code, so that redeeming
 * needs no index and a `gid` in a token never reveals the code it came from.
 */
export async function grantIdOfCode(code: string): Promise<string> {
  return base64url(await sha256(`authorization-code:${code}`)).slice(0, 22);
}

/** Splits a refresh token `<grantId>.<secret>`; null when it has not that shape. */
export function parseRefreshToken(token: string): { grantId: string; secret: string } | null {
  const m = /^([A-Za-z0-9_-]{22,64})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? { grantId: m[1]!, secret: m[2]! } : null;
}
