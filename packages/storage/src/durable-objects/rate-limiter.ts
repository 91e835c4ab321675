import { DurableObject } from "cloudflare:workers";
import { type Config, getConfig, OAuthError } from "@op/core";
import type { Env } from "../env";
import { normalizeUsername } from "./user-account";

/** A failure streak is forgotten after a day without attempts. */
const FORGET_STREAK_MS = 24 * 3600 * 1000;

interface Window {
  /** When the window ends (ms); it began with its first request. */
  end: number;
  count: number;
}

interface Streak {
  /** Consecutive attempts not followed by a success. */
  failures: number;
  lockedUntil: number;
}

export interface LockoutPolicy {
  threshold: number;
  initialBackoff: number;
  maxBackoff: number;
}

export type Refusal = { allowed: false; retryAfter: number };

const refused = (until: number, now: number): Refusal => ({ allowed: false, retryAfter: Math.max(1, Math.ceil((until - now) / 1000)) });

/**
 * One object per limited key (`token:ip:<address>`, `login:account:<username>`, …), so every
 * request for a key is counted by one object, in one synchronous step (no await between the
 * read and the write): of N concurrent requests against a budget of k, exactly k pass. An alarm
 * clears the state once it no longer matters. A key is used either for window counting or for
 * a login streak, never both.
 */
export class RateLimiter extends DurableObject<Env> {
  /**
   * Fixed-window counting: one more request, refused once `limit` were counted in the window
   * that began with the first of them. (A burst across a window boundary may reach 2 × limit.)
   */
  async hit(limit: number, windowSeconds: number, now = Date.now()): Promise<{ allowed: true; windowEnd: number } | Refusal> {
    const taken = await this.take(limit, windowSeconds, 1, now);
    return taken.allowed ? { allowed: true, windowEnd: taken.windowEnd } : taken;
  }

  /**
   * Counts up to `wanted` requests at once, for a Worker to spend locally (`enforceRateLimit`):
   * never more than the window has left, and at most an eighth of that (at least one), so that
   * little of the budget can sit unspent in one Worker when it runs low. Refusals come only from
   * here, with an exact Retry-After.
   */
  async take(limit: number, windowSeconds: number, wanted: number, now = Date.now()): Promise<{ allowed: true; windowEnd: number; granted: number } | Refusal> {
    const stored = this.ctx.storage.kv.get<Window>("window");
    const window = stored && now < stored.end ? stored : { end: now + windowSeconds * 1000, count: 0 };
    const left = limit - window.count;
    if (left <= 0) return refused(window.end, now);
    const granted = Math.max(1, Math.min(wanted, Math.floor(left / 8)));
    this.ctx.storage.kv.put("window", { end: window.end, count: window.count + granted });
    if (window !== stored) await this.ctx.storage.setAlarm(window.end);
    return { allowed: true, windowEnd: window.end, granted };
  }

  /** Takes back one request counted in the window ending at `windowEnd` (it turned out not to count). */
  refund(windowEnd: number): void {
    const window = this.ctx.storage.kv.get<Window>("window");
    if (window && window.end === windowEnd && window.count > 0) this.ctx.storage.kv.put("window", { ...window, count: window.count - 1 });
  }

  /**
   * One login attempt for an account. It counts as a failure until `succeeded` clears the streak,
   * so concurrent guesses cannot all start before the first failure is recorded. From the
   * `threshold`-th consecutive one, each attempt locks the account for a backoff that doubles
   * from `initialBackoff` up to `maxBackoff` seconds. Attempts refused while locked are not
   * counted and do not extend the lock, so hammering a locked account keeps it locked no longer.
   */
  async attempt(policy: LockoutPolicy, now = Date.now()): Promise<{ allowed: true } | Refusal> {
    const streak = this.ctx.storage.kv.get<Streak>("streak") ?? { failures: 0, lockedUntil: 0 };
    if (now < streak.lockedUntil) return refused(streak.lockedUntil, now);
    const failures = streak.failures + 1;
    const lockedUntil = failures >= policy.threshold ? now + backoffSeconds(policy, failures) * 1000 : 0;
    this.ctx.storage.kv.put("streak", { failures, lockedUntil });
    await this.ctx.storage.setAlarm(Math.max(lockedUntil, now + FORGET_STREAK_MS));
    return { allowed: true };
  }

  /** The right password: the streak ends (and with it any lock the attempt itself set). */
  succeeded(): void {
    this.ctx.storage.kv.delete("streak");
  }

  async alarm() {
    // Set for the end of the window, or after the lock and a day of quiet: nothing left matters.
    await this.ctx.storage.deleteAll();
  }
}

/** Seconds of lock after the `failures`-th consecutive failure. */
export function backoffSeconds(policy: LockoutPolicy, failures: number): number {
  if (failures < policy.threshold) return 0;
  return Math.min(policy.initialBackoff * 2 ** Math.min(failures - policy.threshold, 40), policy.maxBackoff);
}

/**
 * Over a limit: 429 with Retry-After (RFC 6585 §4, RFC 9110 §10.2.3). The code is
 * `temporarily_unavailable`, a registered OAuth code that clients already treat as "try again
 * later" (docs/configuration.md, Rate limits).
 */
export class RateLimitedError extends OAuthError {
  readonly retryAfter: number;
  constructor(retryAfter: number, description: string) {
    super("temporarily_unavailable", `${description}; retry after ${retryAfter} s`, { status: 429, headers: { "Retry-After": String(retryAfter) } });
    this.retryAfter = retryAfter;
  }
}

export type LimitedAction = keyof Config["rateLimits"];

const DESCRIPTIONS: Record<LimitedAction, string> = {
  "login:ip": "too many failed sign-ins from this address",
  "token:ip": "too many token requests from this address",
  "token:client": "too many token requests for this client",
  "register:ip": "too many registrations from this address",
  "device:ip": "too many unknown user codes from this address",
};

/** What `refundRateLimit` needs to take a counted request back. */
export interface RateLimitTicket {
  key: string;
  windowEnd: number;
}

const limiter = (env: Pick<Env, "RATE_LIMITER">, key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));

/**
 * Limits counted in batches: the token endpoint's, paid on every token request. The isolate
 * spends requests its limiter already counted (`take`) before asking it again, so a busy client
 * or address costs one Durable Object call per batch instead of one per request. The budget is
 * never exceeded; some of it may go unspent until the window ends (see `take`). The others
 * (login, registration, user codes) are rare, or refunded, and counted one by one.
 */
const BATCHED: ReadonlySet<LimitedAction> = new Set(["token:ip", "token:client"]);
const BATCH_SIZE = 16;
const counted = new Map<string, { windowEnd: number; left: number }>();

function spendCounted(key: string, now: number): RateLimitTicket | null {
  const batch = counted.get(key);
  if (!batch || batch.left <= 0 || now >= batch.windowEnd) return null;
  batch.left--;
  return { key, windowEnd: batch.windowEnd };
}

function keepCounted(key: string, windowEnd: number, extra: number) {
  if (extra <= 0) return;
  const batch = counted.get(key);
  if (batch?.windowEnd === windowEnd) batch.left += extra;
  else {
    if (counted.size >= 10_000) counted.clear(); // forgetting only leaves counted requests unspent
    counted.set(key, { windowEnd, left: extra });
  }
}

/**
 * Counts one request of `subject` (an address, a client id) for `action` against its configured
 * limit; over it, throws RateLimitedError. A storage failure throws too, so the request fails
 * rather than going uncounted. Null when the limit is off.
 */
export async function enforceRateLimit(env: Env, action: LimitedAction, subject: string): Promise<RateLimitTicket | null> {
  const limit = getConfig(env).rateLimits[action];
  if (!limit) return null;
  const key = `${action}:${subject}`;
  const batched = BATCHED.has(action);
  const spent = batched ? spendCounted(key, Date.now()) : null;
  if (spent) return spent;
  const decision = await limiter(env, key).take(limit.count, limit.window, batched ? BATCH_SIZE : 1);
  if (!decision.allowed) throw new RateLimitedError(decision.retryAfter, DESCRIPTIONS[action]);
  keepCounted(key, decision.windowEnd, decision.granted - 1);
  return { key, windowEnd: decision.windowEnd };
}

/** For limits on failures only: the request succeeded, so it does not count after all. */
export async function refundRateLimit(env: Pick<Env, "RATE_LIMITER">, ticket: RateLimitTicket | null): Promise<void> {
  if (ticket) await limiter(env, ticket.key).refund(ticket.windowEnd);
}

/** The account's login streak, named by the normalised username whether or not the account exists. */
export const loginStreak = (env: Pick<Env, "RATE_LIMITER">, username: string) => limiter(env, `login:account:${normalizeUsername(username)}`);

/** Starts a login attempt for `username`; throws RateLimitedError while the account is locked. */
export async function beginLoginAttempt(env: Env, username: string): Promise<void> {
  const decision = await loginStreak(env, username).attempt(getConfig(env).loginLockout);
  if (!decision.allowed) throw new RateLimitedError(decision.retryAfter, "too many sign-in attempts");
}

/** The attempt succeeded: the account's streak is over. */
export async function loginSucceeded(env: Pick<Env, "RATE_LIMITER">, username: string): Promise<void> {
  await loginStreak(env, username).succeeded();
}

/**
 * The client's address for per-address limits: `CF-Connecting-IP`, which Cloudflare sets on
 * every request from the internet (a client cannot choose it) and which service-binding calls
 * pass on. IPv6 addresses count per /64, the usual allocation of one subscriber. Without the
 * header (in-process tests, a caller over a service binding that drops it) the key is "local".
 */
export function clientAddress(request: Request): string {
  const ip = request.headers.get("cf-connecting-ip")?.trim().toLowerCase().slice(0, 64);
  if (!ip) return "local";
  return ip.includes(":") ? (ipv6Prefix64(ip) ?? ip) : ip;
}

/** The /64 prefix of an IPv6 address (RFC 4291 §2.2 text forms), or null if it is not one. */
export function ipv6Prefix64(ip: string): string | null {
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (s: string | undefined) => (s ? s.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}
