// Settings shared by the benchmark (run.mjs) and the profiler (profile.mjs).
import { existsSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";

/**
 * The load comes from one client on one address, which the OP's rate limits exist to stop; real
 * load comes from many. So the limits are raised out of reach rather than turned off: every
 * request still pays for its rate-limiter round trips, as in production.
 */
export const UNREACHABLE_LIMITS = {
  RATE_LIMIT_LOGIN_IP: "9999999/1h",
  RATE_LIMIT_TOKEN_CLIENT: "9999999/1h",
  RATE_LIMIT_TOKEN_IP: "9999999/1h",
  RATE_LIMIT_REGISTER_IP: "9999999/1h",
  RATE_LIMIT_DEVICE_IP: "9999999/1h",
  LOGIN_LOCKOUT_THRESHOLD: "100", // concurrent logins of alice count as failures until each succeeds
};

const TMPFS_MAGIC = 0x01021994;

/**
 * Where both OPs keep their SQLite files: memory-backed /dev/shm when there is one, so that the
 * comparison measures the OPs and not this machine's virtual disk (workerd syncs every Durable
 * Object commit, and creates one database file per object). `--state-dir` overrides it.
 */
export function benchStateRoot(override) {
  if (override) return override;
  try {
    if (existsSync("/dev/shm") && statfsSync("/dev/shm").type === TMPFS_MAGIC) return "/dev/shm";
  } catch {
    // no statfs here: fall back
  }
  return tmpdir();
}
