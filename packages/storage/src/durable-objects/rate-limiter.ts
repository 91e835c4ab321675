import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/** A failure streak is forgotten after a day without failures. */
const FORGET_STREAK_MS = 24 * 3600 * 1000;
/** A login attempt that has not reported by then is forgotten: its Worker died before anyone saw the outcome. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** How long an attempt beyond the threshold waits for those in flight to report before it is refused. */
export const LOGIN_WAIT_MS = 5_000;

interface Window {
  /** When the window ends (ms); it began with its first request. */
  end: number;
  count: number;
}

interface Streak {
  /** Consecutive confirmed failures, not followed by a success. */
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
   * Login attempts of this account that started and have not reported, by id, with their start.
   * Kept in memory only, so that an attempt writes nothing: only a confirmed failure is stored.
   * Were the object to restart, attempts under way would be forgotten, never counted as failures.
   */
  private readonly inFlight = new Map<string, number>();
  /** Attempts waiting for those in flight to report. */
  private readonly waiting = new Set<() => void>();

  /**
   * Starts a login attempt for an account: refused while the account is locked; otherwise
   * allowed while the attempts in flight and the confirmed failures stay below the threshold
   * (from the threshold on, one attempt at a time), so that parallel guesses can never have more
   * passwords checked than the threshold allows. An attempt beyond that waits (at most
   * `LOGIN_WAIT_MS`) for the others' outcomes instead of being refused: if they succeed the streak
   * is over and it goes ahead, if they fail the account locks and it is refused. Attempts refused
   * while locked are not counted and do not extend the lock. The caller reports the outcome with
   * `failed` or `succeeded`.
   */
  async attempt(policy: LockoutPolicy, now = Date.now()): Promise<{ allowed: true; attempt: string } | Refusal> {
    const started = Date.now();
    const clock = () => now + (Date.now() - started);
    for (;;) {
      const t = clock();
      const streak = this.streak();
      if (t < streak.lockedUntil) return refused(streak.lockedUntil, t);
      for (const [id, at] of this.inFlight) if (t - at >= ATTEMPT_TIMEOUT_MS) this.inFlight.delete(id); // its Worker never reported
      if (this.inFlight.size < Math.max(1, policy.threshold - streak.failures)) {
        const attempt = crypto.randomUUID();
        this.inFlight.set(attempt, t);
        return { allowed: true, attempt };
      }
      const waited = t - now;
      if (waited >= LOGIN_WAIT_MS) return refused(t + 1000, t);
      const oldest = Math.min(...this.inFlight.values());
      await this.outcome(Math.min(LOGIN_WAIT_MS - waited, oldest + ATTEMPT_TIMEOUT_MS - t));
    }
  }

  /**
   * A confirmed failure of `attempt`. From the `threshold`-th consecutive one, each failure locks
   * the account for a backoff that doubles from `initialBackoff` up to `maxBackoff` seconds.
   * It counts even if the attempt is no longer known (the object restarted meanwhile).
   */
  async failed(attempt: string, policy: LockoutPolicy, now = Date.now()): Promise<void> {
    this.inFlight.delete(attempt);
    const failures = this.streak().failures + 1;
    const lockedUntil = failures >= policy.threshold ? now + backoffSeconds(policy, failures) * 1000 : 0;
    this.ctx.storage.kv.put("streak", { failures, lockedUntil } satisfies Streak);
    this.wake();
    await this.ctx.storage.setAlarm(Math.max(lockedUntil, now + FORGET_STREAK_MS));
  }

  /** The right password: the streak ends (and with it any lock). Without a streak nothing is written. */
  succeeded(attempt: string): void {
    this.inFlight.delete(attempt);
    if (this.ctx.storage.kv.get("streak") !== undefined) this.ctx.storage.kv.delete("streak"); // the alarm set with it clears the rest
    this.wake();
  }

  private streak(): Streak {
    return this.ctx.storage.kv.get<Streak>("streak") ?? { failures: 0, lockedUntil: 0 };
  }

  /** Resolves at the next outcome of an attempt, or after `ms`. */
  private outcome(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiting.add(done);
    });
  }

  private wake() {
    for (const done of [...this.waiting]) done();
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
