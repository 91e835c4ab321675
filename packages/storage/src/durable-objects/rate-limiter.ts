import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

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
