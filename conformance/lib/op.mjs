// Starts the four Workers of the OP with `wrangler dev` exactly as the e2e suite does
// (scripts/local-op.mjs): staged configs with this run's ISSUER, private secrets, throw-away
// state, a free port. Development mode, so DEV_SEED_USERS gives us alice. Or names a deployed
// one (--issuer), which must be deployed with --conformance for the same reasons.
import { startLocalOp } from "../../scripts/local-op.mjs";

/** Starts the OP; resolves to { issuer, adminToken, stop, output(), reloads() }. */
export async function startOp() {
  // The runner registers a few dozen clients from one address within minutes (one set per
  // plan variant, plus the Dynamic plan's); the default of 20 per hour is meant for people.
  const op = await startLocalOp({ tmpPrefix: "op-conformance-", vars: { RATE_LIMIT_REGISTER_IP: "2000/1h" } });
  return { ...op, adminToken: op.secrets.ADMIN_TOKEN };
}

/** An OP already running at `issuer` (--issuer): nothing to start or stop; ADMIN_TOKEN from the environment. */
export function deployedOp(issuer) {
  const url = new URL(issuer);
  if (url.search || url.hash) throw new Error(`--issuer ${issuer}: an issuer has no query or fragment`);
  return { issuer: issuer.replace(/\/$/, ""), adminToken: process.env.ADMIN_TOKEN, stop: async () => {}, output: () => "", reloads: () => 0 };
}
