import { DEV_USERS, getConfig, userByUsername, type Env } from "@op/common";
import { startSession, type CurrentSession } from "../session";

/**
 * Password login, shared by the authorization interaction and the device verification pages:
 * the account's object checks the password itself, and success starts a fresh session (no
 * session fixation). Null for a wrong username or password alike, so the pages say the same.
 */
export async function authenticateUser(env: Env, form: Record<string, string>): Promise<{ session: CurrentSession; cookie: string } | null> {
  const username = (form.username ?? "").slice(0, 100);
  const password = (form.password ?? "").slice(0, 1000);
  const account = userByUsername(env, username);
  const seedName = username.trim().toLowerCase();
  // Own keys only: a username like "constructor" must not pick up an Object.prototype member.
  const seed = getConfig(env).seedDevUsers && Object.hasOwn(DEV_USERS, seedName) ? DEV_USERS[seedName] : undefined;
  if (seed) await account.profile(seed); // development users exist from their first use
  const user = username && password ? await account.authenticate(password) : null;
  return user ? startSession(env, user.sub) : null;
}
