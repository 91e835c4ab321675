import { type Config, getConfig, rateLimited } from "@op/core";
import { normalizeUsername } from "./durable-objects/user-account";
import type { Env } from "./env";

export type LimitedAction = keyof Config["rateLimits"];

/** What each limit counts, and the setting that raises it (named in every 429). */
const DESCRIPTIONS: Record<LimitedAction, { text: string; setting: string }> = {
  "login:ip": { text: "too many failed sign-ins from this address", setting: "RATE_LIMIT_LOGIN_IP" },
  "token:ip": { text: "too many token requests from this address", setting: "RATE_LIMIT_TOKEN_IP" },
  "token:client": { text: "too many token requests for this client", setting: "RATE_LIMIT_TOKEN_CLIENT" },
  "register:ip": { text: "too many registrations from this address", setting: "RATE_LIMIT_REGISTER_IP" },
  "device:ip": { text: "too many unknown user codes from this address", setting: "RATE_LIMIT_DEVICE_IP" },
  "fetch:client": { text: "too many documents fetched from this client's URLs", setting: "RATE_LIMIT_FETCH_CLIENT" },
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
 * limit; over it, throws a rate-limited error (429). A storage failure throws too, so the request fails
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
  if (!decision.allowed) throw rateLimited(decision.retryAfter, DESCRIPTIONS[action].text, DESCRIPTIONS[action].setting);
  keepCounted(key, decision.windowEnd, decision.granted - 1);
  return { key, windowEnd: decision.windowEnd };
}

/** For limits on failures only: the request succeeded, so it does not count after all. */
export async function refundRateLimit(env: Pick<Env, "RATE_LIMITER">, ticket: RateLimitTicket | null): Promise<void> {
  if (ticket) await limiter(env, ticket.key).refund(ticket.windowEnd);
}

/** The account's login streak, named by the normalised username whether or not the account exists. */
export const loginStreak = (env: Pick<Env, "RATE_LIMITER">, username: string) => limiter(env, `login:account:${normalizeUsername(username)}`);

/** Starts a login attempt for `username`; throws a rate-limited error (429) while the account is locked. */
export async function beginLoginAttempt(env: Env, username: string): Promise<void> {
  const decision = await loginStreak(env, username).attempt(getConfig(env).loginLockout);
  if (!decision.allowed)
    throw rateLimited(decision.retryAfter, "too many sign-in attempts", "LOGIN_LOCKOUT_THRESHOLD, LOGIN_LOCKOUT_BACKOFF, LOGIN_LOCKOUT_MAX");
}

/** The attempt succeeded: the account's streak is over. */
export async function loginSucceeded(env: Pick<Env, "RATE_LIMITER">, username: string): Promise<void> {
  await loginStreak(env, username).succeeded();
}
