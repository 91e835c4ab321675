import { getConfig } from "@op/core";
import type { Env } from "@op/storage";

/**
 * Cookies: HttpOnly, SameSite=Lax, Secure on https where the __Host- prefix (RFC 6265bis
 * §4.1.3.2) also pins them to this origin.
 */
export function sessionCookieName(env: Env): string {
  return getConfig(env).secureCookies ? "__Host-op_session" : "op_session";
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setCookie(env: Env, name: string, value: string, opts: { maxAge: number; path?: string }): string {
  const secure = getConfig(env).secureCookies;
  return [`${name}=${value}`, `Path=${opts.path ?? "/"}`, `Max-Age=${opts.maxAge}`, "HttpOnly", "SameSite=Lax", ...(secure ? ["Secure"] : [])].join("; ");
}

export const clearCookie = (env: Env, name: string, path = "/") => setCookie(env, name, "", { maxAge: 0, path });

/** Interaction cookies are scoped to their interaction's path, so parallel tabs do not collide. */
export const interactionCookieName = (env: Env) => (getConfig(env).secureCookies ? "op_interaction_s" : "op_interaction");
export const interactionPath = (uid: string) => `/interaction/${uid}`;
