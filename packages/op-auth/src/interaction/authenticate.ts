import { getConfig, retryAfterOf } from "@op/core";
import { clientAddress } from "@op/http";
import { beginLoginAttempt, DEV_USERS, type Env, enforceRateLimit, loginFailed, loginSucceeded, refundRateLimit, userByUsername } from "@op/storage";
import { type CurrentSession, startSession } from "../session";

/** Why a login page is shown again (its text comes from the message catalogue), with status and headers. */
export interface LoginRefusal {
  error: "invalid" | "locked";
  /** For "locked": seconds until the next attempt may be made. */
  retryAfter?: number;
  status: 401 | 429;
  headers: Record<string, string>;
}

const INVALID: LoginRefusal = { error: "invalid", status: 401, headers: {} };

/**
 * Password login, shared by the authorization interaction and the device verification pages:
 * the account's object checks the password itself, and success starts a fresh session (no
 * session fixation). A wrong username or password is refused alike, and so is a locked account:
 * the lockout is kept per username whether or not the account exists, so neither reveals which
 * usernames do. Only confirmed failures count toward the lock (RateLimiter.attempt). Failed
 * attempts count per address too; a success is taken back from that count.
 */
export async function authenticateUser(
  env: Env,
  request: Request,
  form: Record<string, string>,
): Promise<{ session: CurrentSession; cookies: string[] } | LoginRefusal> {
  const username = (form.username ?? "").slice(0, 100);
  const password = (form.password ?? "").slice(0, 1000);
  const account = userByUsername(env, username);
  const seedName = username.trim().toLowerCase();
  // Own keys only: a username like "constructor" must not pick up an Object.prototype member.
  const seed = getConfig(env).seedDevUsers && Object.hasOwn(DEV_USERS, seedName) ? DEV_USERS[seedName] : undefined;
  if (seed) await account.profile(seed); // development users exist from their first use
  if (!username || !password) return INVALID;
  try {
    const ticket = await enforceRateLimit(env, "login:ip", clientAddress(request));
    const attempt = await beginLoginAttempt(env, username); // refused while locked, even with the right password
    const user = await account.authenticate(password);
    // The outcome is recorded before anyone sees it, so no guess is answered uncounted.
    if (!user) {
      await loginFailed(env, attempt);
      return INVALID;
    }
    await Promise.all([loginSucceeded(env, attempt), refundRateLimit(env, ticket)]);
    return await startSession(env, user.sub);
  } catch (err) {
    const retryAfter = retryAfterOf(err);
    if (retryAfter === undefined) throw err;
    return { error: "locked", retryAfter, status: 429, headers: { "Retry-After": String(retryAfter) } };
  }
}
