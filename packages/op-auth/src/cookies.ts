import { getConfig } from "@op/core";
import type { Env } from "@op/storage";

/**
 * Every cookie the OP sets: HttpOnly, SameSite=Lax, Path=/. On an https issuer each is also
 * Secure and named with the __Host- prefix (RFC 6265bis §4.1.3.2), which pins it to this
 * origin: no subdomain and no other path can set or shadow it.
 */
const COOKIES = {
  /** The session's key (session.ts). */
  session: "op_session",
  /** A secret that binds interactions to the browser that started them (interaction/begin.ts). */
  browser: "op_browser",
  /** Double-submit CSRF tokens of the device verification and logout forms. */
  deviceCsrf: "op_device_csrf",
  logoutCsrf: "op_logout_csrf",
  /**
   * OIDC Session Management §3: the OP browser state, which the check_session_iframe reads with
   * script, inside relying parties' pages (a third-party context): so not HttpOnly and, on https,
   * SameSite=None. It is no credential: a random value naming nothing, changed by every login and
   * logout, which only this origin's script can read.
   */
  browserState: "op_browser_state",
} as const;
export type CookieName = keyof typeof COOKIES;

export function cookieName(env: Env, name: CookieName): string {
  return getConfig(env).secureCookies ? `__Host-${COOKIES[name]}` : COOKIES[name];
}

export const sessionCookieName = (env: Env) => cookieName(env, "session");

export function readCookie(request: Request, env: Env, name: CookieName): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  const wanted = cookieName(env, name);
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === wanted) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setCookie(env: Env, name: CookieName, value: string, opts: { maxAge: number }): string {
  const secure = getConfig(env).secureCookies;
  // The browser state is read by script in cross-site frames; on plain http (development) SameSite=None would be refused, so it is Lax there.
  const scriptReadable = name === "browserState";
  const sameSite = scriptReadable && secure ? "SameSite=None" : "SameSite=Lax";
  return [
    `${cookieName(env, name)}=${value}`,
    "Path=/",
    `Max-Age=${opts.maxAge}`,
    ...(scriptReadable ? [] : ["HttpOnly"]),
    sameSite,
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

export const clearCookie = (env: Env, name: CookieName) => setCookie(env, name, "", { maxAge: 0 });

export const interactionPath = (uid: string) => `/interaction/${uid}`;
