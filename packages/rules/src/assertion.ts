import type { Config } from "@op/core";

/**
 * RFC 7523 §3 items 4-6, for client assertions and JWT bearer assertions: an assertion lives at
 * most CLIENT_ASSERTION_MAX_LIFETIME. Counted from now (exp ahead of now), with the clock skew
 * every other time check allows, as the client's clock may run ahead of ours; and, when it says
 * when it was issued, from its iat (exp - iat, no clock involved), which must not be in the
 * future. Expiry itself is the JWT library's check. Undefined when the lifetime is acceptable.
 */
export function assertionLifetimeRefusal(
  payload: { exp?: unknown; iat?: unknown },
  config: Pick<Config, "clientAssertionMaxLifetime" | "clockSkew">,
  now = Math.floor(Date.now() / 1000),
): string | undefined {
  const max = config.clientAssertionMaxLifetime;
  if (typeof payload.exp !== "number") return "the JWT has no exp";
  if (payload.exp - now > max + config.clockSkew) return `the JWT expires more than ${max} seconds from now`;
  if (payload.iat === undefined) return undefined;
  if (typeof payload.iat !== "number") return "the JWT's iat is not a number";
  if (payload.iat > now + config.clockSkew) return "the JWT was issued in the future (iat)";
  if (payload.exp - payload.iat > max) return `the JWT lives longer than ${max} seconds (exp - iat)`;
  return undefined;
}
