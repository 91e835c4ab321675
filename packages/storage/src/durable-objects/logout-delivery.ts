import { DurableObject } from "cloudflare:workers";
import { type BackchannelDelivery, type Client, getConfig, type LogoutEvent, LogoutEventSchema, type LogoutRecord } from "@op/core";
import { backchannelOutcome, backchannelRetryDelay } from "@op/rules";
import { FETCH_TIMEOUT_MS, postToClient } from "../client-documents";
import { freshClient } from "../clients";
import type { Env } from "../env";
import { grantObject } from "./grant";

/** How long a logout's record stays for the operator after its last delivery settled. */
export const LOGOUT_RECORD_RETENTION_MS = 7 * 86400 * 1000;
/** The alarm `begin` sets in case the first attempt never reports back (the isolate that ran it went away). */
const FIRST_ATTEMPT_SAFETY_MS = FETCH_TIMEOUT_MS * 3;
/** An attempt under way is not started again before this (the request's own bound, and some). */
const IN_FLIGHT_MS = FETCH_TIMEOUT_MS + 2_000;

type StoredDelivery = BackchannelDelivery & { inFlightUntil?: number };

/**
 * One object per ended session, named by its sid (`logout:<sid>`): the atom of "tell every
 * relying party, once". It holds the logout event, revokes the session's grants that lack
 * offline_access (OIDC Back-Channel Logout §2.7), and keeps one delivery per client with a
 * backchannel_logout_uri: a fresh logout token POSTed to each (§2.5), all in parallel, retried
 * with growing delays (rules/logout.ts) by the object's alarm, so a logout survives the isolate
 * that began it. The results stay for the operator (GET /admin/logouts/:sid) for a week.
 *
 * The logout token itself comes from `logoutToken`, which the class the runtime binds supplies
 * (op-auth's LogoutDelivery, with @op/tokens): signing lives above storage in the packages' order.
 */
export abstract class LogoutDeliveryObject extends DurableObject<Env> {
  /** OIDC Back-Channel Logout §2.4: a new logout token for `client` about this event. */
  protected abstract logoutToken(client: Client, event: LogoutEvent): Promise<string>;

  private event(): LogoutEvent | undefined {
    return this.ctx.storage.kv.get<LogoutEvent>("event");
  }

  private deliveries(): StoredDelivery[] {
    return [...this.ctx.storage.kv.list<StoredDelivery>({ prefix: "delivery:" })].map(([, d]) => d);
  }

  private put(d: StoredDelivery) {
    this.ctx.storage.kv.put(`delivery:${d.clientId}`, d);
  }

  /**
   * Records the logout, once: the second call for the same session changes nothing and returns
   * false (the session's end already gave its record to exactly one caller; this is the second
   * line). The event and the safety alarm are written before anything else, then the grants are
   * revoked; whatever fails from there on, the alarm does again.
   */
  async begin(input: LogoutEvent, now = Date.now()): Promise<boolean> {
    if (this.event()) return false;
    const event = LogoutEventSchema.parse(input);
    this.ctx.storage.kv.put("event", event);
    this.ctx.storage.kv.put("grants-pending", true);
    await this.ctx.storage.setAlarm(now + FIRST_ATTEMPT_SAFETY_MS);
    await this.revokeGrants().catch(() => {});
    return true;
  }

  /** The session's grants without offline_access end with it; idempotent, so the alarm may repeat it. */
  private async revokeGrants() {
    const event = this.event();
    if (!event || !this.ctx.storage.kv.get("grants-pending")) return;
    await Promise.all(event.grants.map((id) => grantObject(this.env, id).endWithSession()));
    this.ctx.storage.kv.delete("grants-pending");
  }

  /**
   * The first attempt of every delivery, in parallel (the caller bounds how long it waits for
   * this; the alarm takes over whatever does not finish). Returns the record as it then stands.
   */
  async deliver(): Promise<LogoutRecord | null> {
    const event = this.event();
    if (!event) return null;
    if (!this.ctx.storage.kv.get("targets-listed")) await this.listTargets(event);
    await this.attemptDue(Date.now());
    return this.record();
  }

  /** The clients of the event that registered a backchannel_logout_uri, each a pending delivery. */
  private async listTargets(event: LogoutEvent) {
    const clients = await Promise.all(event.clients.map((id) => freshClient(this.env, id)));
    // Written after the awaits, each only if absent: a concurrent listing (deliver and the alarm) adds nothing twice.
    for (const client of clients) {
      if (!client?.backchannel_logout_uri || this.ctx.storage.kv.get(`delivery:${client.client_id}`)) continue;
      this.put({ clientId: client.client_id, uri: client.backchannel_logout_uri, status: "pending", attempts: 0, nextAttemptAt: event.endedAt });
    }
    this.ctx.storage.kv.put("targets-listed", true);
  }

  /** Every pending delivery due by `asOf` and not already under way, attempted in parallel; then the next alarm. */
  private async attemptDue(asOf: number) {
    const event = this.event()!;
    const now = Date.now();
    const due = this.deliveries().filter((d) => d.status === "pending" && (d.nextAttemptAt ?? 0) <= asOf && !((d.inFlightUntil ?? 0) > now));
    // Marked before the first await: an alarm that fires meanwhile leaves these alone.
    for (const d of due) this.put({ ...d, inFlightUntil: now + IN_FLIGHT_MS });
    await Promise.all(due.map((d) => this.attempt(event, d)));
    await this.schedule();
  }

  private async attempt(event: LogoutEvent, d: StoredDelivery) {
    const result = await this.send(event, d).catch((err) => {
      console.error(JSON.stringify({ level: "error", message: "back-channel logout", clientId: d.clientId, error: String(err) }));
      return { answer: "unreachable" as const };
    });
    const at = Date.now();
    const attempts = d.attempts + 1;
    const outcome = "refused" in result ? "refused" : backchannelOutcome(result.answer);
    const lastResult = "refused" in result ? result.refused : String(result.answer);
    const delay = outcome === "retry" ? backchannelRetryDelay(attempts) : null;
    const next: StoredDelivery =
      outcome === "delivered"
        ? { clientId: d.clientId, uri: d.uri, status: "delivered", attempts, lastResult, lastAttemptAt: at, deliveredAt: at }
        : delay !== null
          ? { clientId: d.clientId, uri: d.uri, status: "pending", attempts, lastResult, lastAttemptAt: at, nextAttemptAt: at + delay }
          : {
              clientId: d.clientId,
              uri: d.uri,
              status: "failed",
              attempts,
              lastResult: outcome === "retry" ? `${lastResult}; gave up` : lastResult,
              lastAttemptAt: at,
            };
    this.put(next);
  }

  /** One POST of a fresh logout token (§2.5), to the URI the client has now; what it came to. */
  private async send(event: LogoutEvent, d: StoredDelivery): Promise<{ answer: number | "timeout" | "unreachable" } | { refused: string }> {
    const client = await freshClient(this.env, d.clientId);
    if (!client) return { refused: "the client no longer exists" };
    if (!client.backchannel_logout_uri) return { refused: "the client no longer has a backchannel_logout_uri" };
    let token: string;
    try {
      token = await this.logoutToken(client, event);
    } catch (err) {
      // e.g. its jwks_uri did not answer with the key to encrypt to: worth trying again later.
      console.error(JSON.stringify({ level: "error", message: "logout token", clientId: d.clientId, error: String(err) }));
      return { answer: "unreachable" };
    }
    return postToClient(getConfig(this.env), client.backchannel_logout_uri, { logout_token: token });
  }

  /** The alarm at the next due attempt, or, once every delivery has settled, when the record is deleted. */
  private async schedule() {
    const event = this.event();
    if (!event) return;
    const pending = this.deliveries().filter((d) => d.status === "pending");
    const grantsPending = this.ctx.storage.kv.get("grants-pending") === true;
    const nextAttempt = pending.length ? Math.min(...pending.map((d) => Math.max(d.nextAttemptAt ?? 0, d.inFlightUntil ?? 0))) : undefined;
    const settled = Math.max(event.endedAt, ...this.deliveries().map((d) => d.lastAttemptAt ?? 0));
    const at = nextAttempt ?? (grantsPending ? Date.now() + FIRST_ATTEMPT_SAFETY_MS : settled + LOGOUT_RECORD_RETENTION_MS);
    this.ctx.storage.kv.put("alarm-at", at);
    await this.ctx.storage.setAlarm(at);
  }

  /**
   * Runs as if the alarm's time had come (its scheduled time, kept beside it): revokes what is
   * left to revoke, lists the targets if the first attempt never did, attempts what is due; with
   * nothing left and the retention over, deletes the record.
   */
  async alarm() {
    const event = this.event();
    if (!event) return this.ctx.storage.deleteAll();
    const asOf = Math.max(Date.now(), this.ctx.storage.kv.get<number>("alarm-at") ?? 0);
    const settled =
      this.ctx.storage.kv.get("targets-listed") && !this.ctx.storage.kv.get("grants-pending") && !this.deliveries().some((d) => d.status === "pending");
    if (settled && asOf >= Math.max(event.endedAt, ...this.deliveries().map((d) => d.lastAttemptAt ?? 0)) + LOGOUT_RECORD_RETENTION_MS) {
      return this.ctx.storage.deleteAll();
    }
    // A grant that cannot be reached now is tried again at the next alarm (schedule keeps one while any is left).
    await this.revokeGrants().catch(() => {});
    if (!this.ctx.storage.kv.get("targets-listed")) await this.listTargets(event);
    await this.attemptDue(asOf);
  }

  /** The event and its deliveries, as the admin API shows them. */
  record(): LogoutRecord | null {
    const event = this.event();
    if (!event) return null;
    const deliveries = this.deliveries()
      .map(({ inFlightUntil: _, ...d }) => d)
      .sort((a, b) => a.clientId.localeCompare(b.clientId));
    return { ...event, deliveries };
  }
}

/** The logout of the session `sid`; named so a realm prefix can be added later. */
export function logoutDeliveryObject(env: Pick<Env, "LOGOUT_DELIVERIES">, sid: string) {
  return env.LOGOUT_DELIVERIES.get(env.LOGOUT_DELIVERIES.idFromName(`logout:${sid}`));
}
