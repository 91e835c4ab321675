import { type Config, getConfig, rateLimited } from "@op/core";
import { normalizeUsername } from "./durable-objects/user-account";
import type { Env } from "./env";

export type LimitedAction = keyof Config["rateLimits"];

/** What each limit counts, and the setting that raises it (named in every 429). */
const DESCRIPTIONS: Record<LimitedAction, { text: string; setting: string }> = {
  "login:ip": { text: "too many failed sign-ins from this address", setting: "RATE_LIMIT_LOGIN_IP" },
  "token:ip": { text: "too many failed or unauthenticated requests from this address", setting: "RATE_LIMIT_TOKEN_IP" },
  "token:client": { text: "too many requests for this client", setting: "RATE_LIMIT_TOKEN_CLIENT" },
  "register:ip": { text: "too many registrations from this address", setting: "RATE_LIMIT_REGISTER_IP" },
  "device:ip": { text: "too many unknown user codes from this address", setting: "RATE_LIMIT_DEVICE_IP" },
  "fetch:client": { text: "too many documents fetched from this client's URLs", setting: "RATE_LIMIT_FETCH_CLIENT" },
};

const tooMany = (action: LimitedAction, retryAfter: number) => rateLimited(retryAfter, DESCRIPTIONS[action].text, DESCRIPTIONS[action].setting);

/** What `refundRateLimit` needs to take a counted request back. */
export interface RateLimitTicket {
  key: string;
  windowEnd: number;
  /** Taken from this isolate's batch: given back to it, without a call to the limiter. */
  batched: boolean;
}

const limiter = (env: Pick<Env, "RATE_LIMITER">, key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));

/**
 * Limits counted in batches: those of the client-authenticated endpoints, paid on every request
 * there. The isolate spends requests its limiter already counted (`take`) before asking it
 * again, so a busy client or address costs one Durable Object call per batch instead of one per
 * request, and a request that turns out not to count gives its unit back to the batch, for free.
 * The budget is never exceeded; some of it may go unspent until the window ends (see `take`).
 * The others (login, registration, user codes) are rare, and counted one by one.
 */
const BATCHED: ReadonlySet<LimitedAction> = new Set(["token:ip", "token:client"]);
const BATCH_SIZE = 16;
const MAX_KEYS = 10_000;
const counted = new Map<string, { windowEnd: number; left: number }>();
/** Budgets counted after the outcome (`countProven`) that the limiter said are spent, until when. */
const spentUntil = new Map<string, number>();

function spendCounted(key: string, now: number): RateLimitTicket | null {
  const batch = counted.get(key);
  if (!batch || batch.left <= 0 || now >= batch.windowEnd) return null;
  batch.left--;
  return { key, windowEnd: batch.windowEnd, batched: true };
}

function keepCounted(key: string, windowEnd: number, extra: number) {
  if (extra <= 0) return;
  const batch = counted.get(key);
  if (batch?.windowEnd === windowEnd) batch.left += extra;
  else {
    if (counted.size >= MAX_KEYS) counted.clear(); // forgetting only leaves counted requests unspent
    counted.set(key, { windowEnd, left: extra });
  }
}

/** Keys whose batch is being asked for by a request of this isolate. */
const asking = new Set<string>();

async function count(env: Env, action: LimitedAction, key: string, limit: { count: number; window: number }) {
  const batched = BATCHED.has(action);
  if (batched) {
    const spent = spendCounted(key, Date.now());
    if (spent) return spent;
  }
  // Each request asks the limiter itself: awaiting another request's call would get this one
  // cancelled when that request ends first (its RPC promise is an I/O object of that request).
  // While one request asks for a batch, the others ask for their own unit only, so a burst does
  // not take a batch per request; surplus units join the batch.
  const asksForBatch = batched && !asking.has(key);
  if (asksForBatch) asking.add(key);
  try {
    const decision = await limiter(env, key).take(limit.count, limit.window, asksForBatch ? BATCH_SIZE : 1);
    if (!decision.allowed) return decision;
    keepCounted(key, decision.windowEnd, decision.granted - 1);
    return { key, windowEnd: decision.windowEnd, batched };
  } finally {
    if (asksForBatch) asking.delete(key);
  }
}

/**
 * Counts one request of `subject` (an address, a client id) for `action` against its configured
 * limit, before the request is served; over it, throws a rate-limited error (429). A storage
 * failure throws too, so the request fails rather than going uncounted. Null when the limit is off.
 */
export async function enforceRateLimit(env: Env, action: LimitedAction, subject: string): Promise<RateLimitTicket | null> {
  const limit = getConfig(env).rateLimits[action];
  if (!limit) return null;
  const ticket = await count(env, action, `${action}:${subject}`, limit);
  if ("allowed" in ticket) throw tooMany(action, ticket.retryAfter);
  return ticket;
}

/**
 * The request turned out not to count (a success, where only failures do): its unit goes back to
 * this isolate's batch when it came from one, else to the limiter. A unit of a window that has
 * ended meanwhile is dropped, as it no longer matters.
 */
export async function refundRateLimit(env: Pick<Env, "RATE_LIMITER">, ticket: RateLimitTicket | null): Promise<void> {
  if (!ticket) return;
  if (ticket.batched) keepCounted(ticket.key, ticket.windowEnd, 1);
  else await limiter(env, ticket.key).refund(ticket.windowEnd);
}

/**
 * For budgets only a request's outcome may spend (`countProven`): refuses (429) at once when this
 * isolate already learnt that the budget is spent, without asking the limiter.
 */
export function refuseIfSpent(env: Env, action: LimitedAction, subject: string, now = Date.now()): void {
  if (!getConfig(env).rateLimits[action]) return;
  const until = spentUntil.get(`${action}:${subject}`);
  if (until !== undefined && now < until) throw tooMany(action, Math.max(1, Math.ceil((until - now) / 1000)));
}

/**
 * Counts a request once its outcome proved it may spend the budget (a public client's grant that
 * succeeded). It is served whatever the count; once the limiter says the budget is spent, this
 * isolate refuses the next ones up front (`refuseIfSpent`) until the window ends. So nobody can
 * spend the budget with requests that prove nothing, and a busy client overshoots it by at most
 * the requests already under way.
 */
export async function countProven(env: Env, action: LimitedAction, subject: string): Promise<void> {
  const limit = getConfig(env).rateLimits[action];
  if (!limit) return;
  const key = `${action}:${subject}`;
  const ticket = await count(env, action, key, limit);
  if (!("allowed" in ticket)) return;
  if (spentUntil.size >= MAX_KEYS) spentUntil.clear(); // forgetting only asks the limiter again
  spentUntil.set(key, Date.now() + ticket.retryAfter * 1000);
}

/** The account's login streak, named by the normalised username whether or not the account exists. */
export const loginStreak = (env: Pick<Env, "RATE_LIMITER">, username: string) => limiter(env, `login:account:${normalizeUsername(username)}`);

/** A login attempt under way, to report its outcome on. */
export interface LoginAttempt {
  username: string;
  attempt: string;
}

/**
 * Starts a login attempt for `username`; throws a rate-limited error (429) while the account is
 * locked. It may wait a moment for other attempts at the account to finish (RateLimiter.attempt).
 */
export async function beginLoginAttempt(env: Env, username: string): Promise<LoginAttempt> {
  const decision = await loginStreak(env, username).attempt(getConfig(env).loginLockout);
  if (!decision.allowed)
    throw rateLimited(decision.retryAfter, "too many sign-in attempts", "LOGIN_LOCKOUT_THRESHOLD, LOGIN_LOCKOUT_BACKOFF, LOGIN_LOCKOUT_MAX");
  return { username, attempt: decision.attempt };
}

/** The password was wrong: one more confirmed failure of the account's streak. */
export async function loginFailed(env: Env, attempt: LoginAttempt): Promise<void> {
  await loginStreak(env, attempt.username).failed(attempt.attempt, getConfig(env).loginLockout);
}

/** The attempt succeeded: the account's streak is over. */
export async function loginSucceeded(env: Pick<Env, "RATE_LIMITER">, attempt: LoginAttempt): Promise<void> {
  await loginStreak(env, attempt.username).succeeded(attempt.attempt);
}
