import { DurableObject } from "cloudflare:workers";
import type { Authentication } from "@op/core";
import { type DeviceAuthorizationRecord, DeviceAuthorizationRecordSchema, hashSecret, timingSafeEqual } from "@op/core";
import { resourceNotGranted } from "@op/rules";
import type { Env } from "../env";

/** RFC 8628 §3.5: slow_down raises the interval by 5 seconds for good. */
const SLOW_DOWN_STEP = 5;
/** Kept this long past expiry, so a late poll still gets expired_token rather than invalid_grant. */
const TOMBSTONE_MS = 3600 * 1000;

export type DevicePollResult =
  | { status: "approved"; record: DeviceAuthorizationRecord; approval: Authentication }
  | { status: "pending" }
  | { status: "slow_down"; interval: number }
  | { status: "expired" }
  | { status: "denied" }
  | { status: "used" }
  | { status: "invalid_target" }
  | { status: "invalid" };

/** What the verification pages may show about a request the user can still answer. */
export type PendingDeviceAuthorization = Pick<DeviceAuthorizationRecord, "clientId" | "scopes" | "resources" | "expiresAt">;

/**
 * One object per user code (the atom: one device's request, answered once by one user and
 * redeemed once by its client). It is named by the normalized user code, and the device code
 * is `<userCode>.<secret>`, so both the verification pages and polling reach it without an
 * index. Only the SHA-256 of the secret is stored. `poll` checks and marks in one synchronous
 * step, so of concurrent polls after approval exactly one gets the approval.
 */
export class DeviceAuthorization extends DurableObject<Env> {
  private record(): DeviceAuthorizationRecord | undefined {
    return this.ctx.storage.kv.get<DeviceAuthorizationRecord>("record");
  }

  /** Stores a new request; false when this user code is taken (the caller draws another). */
  async begin(record: DeviceAuthorizationRecord): Promise<boolean> {
    const parsed = DeviceAuthorizationRecordSchema.parse(record);
    if (this.record()) return false;
    this.ctx.storage.kv.put("record", parsed);
    await this.ctx.storage.setAlarm(parsed.expiresAt + TOMBSTONE_MS);
    return true;
  }

  /** The request while the user can still answer it (pending, not expired); otherwise null. */
  pending(now = Date.now()): PendingDeviceAuthorization | null {
    const r = this.record();
    if (r?.status !== "pending" || now >= r.expiresAt) return null;
    return { clientId: r.clientId, scopes: r.scopes, resources: r.resources, expiresAt: r.expiresAt };
  }

  /** RFC 8628 §3.3: the user approved; false when the request is no longer pending. */
  approve(approval: Authentication, grantId?: string, now = Date.now()): boolean {
    return this.answer({ status: "approved", approval, grantId }, now);
  }

  /** The user denied; the client's next poll gets access_denied (RFC 8628 §3.5). */
  deny(now = Date.now()): boolean {
    return this.answer({ status: "denied" }, now);
  }

  private answer(patch: Pick<DeviceAuthorizationRecord, "status" | "approval" | "grantId">, now: number): boolean {
    const r = this.record();
    if (r?.status !== "pending" || now >= r.expiresAt) return false;
    this.ctx.storage.kv.put("record", { ...r, ...patch });
    return true;
  }

  /** RFC 8628 §3.4-3.5: one poll by `clientId` with the device code's secret, for some of the request's resources. */
  async poll(secret: string, clientId: string, resources: string[] = []): Promise<DevicePollResult> {
    const presented = await hashSecret(secret);
    // From here on no await: the read, the checks and the write are one step for the object.
    const now = Date.now();
    const r = this.record();
    // Another client's poll changes nothing, so it cannot slow down or burn the rightful client's code.
    if (!r || !timingSafeEqual(presented, r.deviceSecretHash) || r.clientId !== clientId) return { status: "invalid" };
    if (r.status === "used") return { status: "used" };
    if (now >= r.expiresAt) return { status: "expired" };
    if (r.status === "denied") return { status: "denied" };
    if (r.status === "approved" && r.approval) {
      // RFC 8707 §2.2: checked before marking, so a refused resource leaves the approval redeemable.
      if (resourceNotGranted(r.resources, resources) !== undefined) return { status: "invalid_target" };
      this.ctx.storage.kv.put("record", { ...r, status: "used", lastPolledAt: now });
      return { status: "approved", record: r, approval: r.approval };
    }
    // slow_down is a variant of authorization_pending (§3.5): only a pending request is throttled.
    const tooSoon = r.lastPolledAt !== undefined && now - r.lastPolledAt < r.interval * 1000;
    const interval = tooSoon ? r.interval + SLOW_DOWN_STEP : r.interval;
    this.ctx.storage.kv.put("record", { ...r, interval, lastPolledAt: now });
    return tooSoon ? { status: "slow_down", interval } : { status: "pending" };
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

/** The object of a normalized user code. */
export function deviceAuthorizationObject(env: Pick<Env, "DEVICE_AUTHORIZATIONS">, userCode: string) {
  return env.DEVICE_AUTHORIZATIONS.get(env.DEVICE_AUTHORIZATIONS.idFromName(userCode));
}
