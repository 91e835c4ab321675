// Starts the four Workers of the OP with `wrangler dev` exactly as the e2e suite does
// (scripts/local-op.mjs): staged configs with this run's ISSUER, private secrets, throw-away
// state, a free port. Development mode, so DEV_SEED_USERS gives us alice.
import { startLocalOp } from "../../scripts/local-op.mjs";

/** Starts the OP; resolves to { issuer, adminToken, stop, output(), reloads() }. */
export async function startOp() {
  // The runner registers a few dozen clients from one address within minutes (one set per
  // plan variant, plus the Dynamic plan's); the default of 20 per hour is meant for people.
  const op = await startLocalOp({ tmpPrefix: "op-conformance-", vars: { RATE_LIMIT_REGISTER_IP: "2000/1h" } });
  return { ...op, adminToken: op.secrets.ADMIN_TOKEN };
}
