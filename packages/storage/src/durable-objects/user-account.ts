import { DurableObject } from "cloudflare:workers";
import { getConfig, hashPassword, needsRehash, StandardClaimsSchema, verifyPassword } from "@op/core";
import { z } from "zod";
import type { Env } from "../env";

export const NewUserSchema = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(8).max(1000),
  claims: StandardClaimsSchema.default({}),
});
export type NewUser = z.input<typeof NewUserSchema>;

const StoredUserSchema = z.object({
  username: z.string(),
  passwordHash: z.string(),
  claims: StandardClaimsSchema,
  createdAt: z.number().int(),
});
type StoredUser = z.output<typeof StoredUserSchema>;

export interface UserProfile {
  sub: string;
  username: string;
  claims: z.output<typeof StandardClaimsSchema>;
}

/** An entry of the account's session index: the BrowserSession's object id (not its cookie secret) and when it ends. */
export interface AccountSession {
  sessionId: string;
  sid: string;
  createdAt: number;
  expiresAt: number;
}

export interface ConsentRecord {
  scopes: string[];
  claims: string[];
  grantedAt: number;
}

/**
 * One object per account, named by the normalised username (the atom: one account's
 * credentials and consents; its login lockout is a RateLimiter, kept for any username, existing
 * or not, so that it reveals none). The subject identifier is this
 * object's id, so a `sub` leads back to the account without an index. The password hash never
 * leaves the object: it verifies passwords itself.
 */
export class UserAccount extends DurableObject<Env> {
  private stored(): StoredUser | undefined {
    return this.ctx.storage.kv.get<StoredUser>("user");
  }

  private profileOf(u: StoredUser): UserProfile {
    return { sub: this.ctx.id.toString(), username: u.username, claims: u.claims };
  }

  /** Creates the account; false if it already exists. */
  async create(input: NewUser): Promise<boolean> {
    const user = NewUserSchema.parse(input);
    const passwordHash = await hashPassword(user.password, getConfig(this.env).passwordIterations);
    if (this.stored()) return false;
    this.ctx.storage.kv.put("user", StoredUserSchema.parse({ username: user.username, passwordHash, claims: user.claims, createdAt: Date.now() }));
    return true;
  }

  /** The account's profile; in development a seed creates it on first use, idempotently. */
  async profile(seed?: NewUser): Promise<UserProfile | null> {
    if (!this.stored() && seed) await this.create(seed);
    const u = this.stored();
    return u ? this.profileOf(u) : null;
  }

  async authenticate(password: string): Promise<UserProfile | null> {
    const u = this.stored();
    if (!u) {
      // The same KDF work as for a real account, so timing does not tell which usernames exist.
      await verifyPassword(password, absentAccountHash(getConfig(this.env).passwordIterations));
      return null;
    }
    if (!(await verifyPassword(password, u.passwordHash))) return null;
    const iterations = getConfig(this.env).passwordIterations;
    if (needsRehash(u.passwordHash, iterations)) {
      this.ctx.storage.kv.put("user", { ...u, passwordHash: await hashPassword(password, iterations) });
    }
    return this.profileOf(u);
  }

  consent(clientId: string): ConsentRecord | null {
    return this.ctx.storage.kv.get<ConsentRecord>(`consent:${clientId}`) ?? null;
  }

  /** Remembers consent per client; scopes and claims accumulate. */
  grantConsent(clientId: string, scopes: string[], claims: string[]): ConsentRecord {
    const prev = this.consent(clientId);
    const record: ConsentRecord = {
      scopes: [...new Set([...(prev?.scopes ?? []), ...scopes])].sort(),
      claims: [...new Set([...(prev?.claims ?? []), ...claims])].sort(),
      grantedAt: Date.now(),
    };
    this.ctx.storage.kv.put(`consent:${clientId}`, record);
    return record;
  }

  revokeConsent(clientId: string): void {
    if (this.consent(clientId)) this.ctx.storage.kv.delete(`consent:${clientId}`); // a delete of nothing would still store a table
  }

  /**
   * The account's sessions, so that it (sign-out-everywhere), the operator and deprovisioning can
   * end every one of them (sessions.ts: endSessionsOf). Expired entries are dropped here.
   */
  addSession(entry: AccountSession, now = Date.now()): void {
    this.pruneSessions(now);
    this.ctx.storage.kv.put(`session:${entry.sessionId}`, entry);
  }

  forgetSession(sessionId: string): void {
    this.ctx.storage.kv.delete(`session:${sessionId}`);
  }

  sessions(now = Date.now()): AccountSession[] {
    this.pruneSessions(now);
    return [...this.ctx.storage.kv.list<AccountSession>({ prefix: "session:" })].map(([, e]) => e);
  }

  private pruneSessions(now: number) {
    for (const [key, entry] of this.ctx.storage.kv.list<AccountSession>({ prefix: "session:" })) if (entry.expiresAt <= now) this.ctx.storage.kv.delete(key);
  }
}

/** A well-formed hash no password matches (its salt and digest are zeros), to spend the KDF's time on. */
const absentAccountHash = (iterations: number) => `pbkdf2-sha256$${iterations}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;

export const normalizeUsername = (username: string) => username.trim().normalize("NFKC").toLowerCase();

export function userByUsername(env: Pick<Env, "USERS">, username: string) {
  return env.USERS.get(env.USERS.idFromName(`username:${normalizeUsername(username)}`));
}

/** The account for a subject identifier, or null when `sub` is not one of ours. */
export function userBySub(env: Pick<Env, "USERS">, sub: string) {
  if (!/^[0-9a-f]{64}$/.test(sub)) return null;
  try {
    return env.USERS.get(env.USERS.idFromString(sub));
  } catch {
    return null;
  }
}
