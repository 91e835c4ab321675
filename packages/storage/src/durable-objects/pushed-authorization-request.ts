import { DurableObject } from "cloudflare:workers";
import { randomToken } from "@op/core";
import { z } from "zod";
import type { Env } from "../env";

/** RFC 9126 §2.2: the request_uri the PAR endpoint hands out. */
export const PAR_REQUEST_URI_PREFIX = "urn:ietf:params:oauth:request_uri:";
const REFERENCE = /^[A-Za-z0-9_-]{32,64}$/;

/** A pushed request as the authorization endpoint will use it: the checked parameters, not the raw body. */
export const PushedAuthorizationRequestRecordSchema = z.object({
  clientId: z.string(),
  /** The effective parameters (those of the request object when one was pushed, RFC 9126 §3). */
  params: z.record(z.string(), z.string()),
  resources: z.array(z.string()).default([]),
  /** Whether a request object carried them (the JAR mode holds for pushed requests too: RFC 9101 §10.5). */
  requestObject: z.enum(["absent", "request"]),
  expiresAt: z.number().int(),
  /** Seconds a request_uri stays usable after its first use; 0 means single use (RFC 9126 §7.3). */
  reuseWindow: z.number().int().nonnegative(),
  firstUsedAt: z.number().int().optional(),
});
export type PushedAuthorizationRequestRecord = z.output<typeof PushedAuthorizationRequestRecordSchema>;

export type PushedRequestResult = { status: "ok"; record: PushedAuthorizationRequestRecord } | { status: "unknown" | "expired" | "wrong_client" | "used" };

/**
 * One object per pushed request (the atom: one request_uri, used once by its client). The object
 * is named by the request_uri's random reference, so the authorization endpoint reaches it
 * without an index. `consume` reads, checks and marks in one synchronous step, so of concurrent
 * uses exactly one wins (or, with a reuse window, every use inside it); an alarm deletes the
 * record once it has expired.
 */
export class PushedAuthorizationRequest extends DurableObject<Env> {
  /** Stores the request; false if this reference is taken (the caller draws another). */
  async push(record: PushedAuthorizationRequestRecord): Promise<boolean> {
    const parsed = PushedAuthorizationRequestRecordSchema.parse(record);
    if (this.ctx.storage.kv.get("record")) return false;
    this.ctx.storage.kv.put("record", parsed);
    await this.ctx.storage.setAlarm(parsed.expiresAt);
    return true;
  }

  /** RFC 9126 §4: the request for `clientId`, once (or within the reuse window). A foreign client does not burn it. */
  consume(clientId: string, now = Date.now()): PushedRequestResult {
    const record = this.ctx.storage.kv.get<PushedAuthorizationRequestRecord>("record");
    if (!record) return { status: "unknown" };
    if (now >= record.expiresAt) return { status: "expired" };
    if (record.clientId !== clientId) return { status: "wrong_client" };
    if (record.firstUsedAt !== undefined && now - record.firstUsedAt >= record.reuseWindow * 1000) return { status: "used" };
    if (record.firstUsedAt === undefined) this.ctx.storage.kv.put("record", { ...record, firstUsedAt: now });
    return { status: "ok", record };
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

/** A fresh reference and the request_uri naming it. */
export function newPushedRequestUri(): { reference: string; requestUri: string } {
  const reference = randomToken(32);
  return { reference, requestUri: `${PAR_REQUEST_URI_PREFIX}${reference}` };
}

/** The reference inside a PAR request_uri; undefined for any other value. */
export function pushedRequestReference(requestUri: string): string | undefined {
  if (!requestUri.startsWith(PAR_REQUEST_URI_PREFIX)) return undefined;
  const reference = requestUri.slice(PAR_REQUEST_URI_PREFIX.length);
  return REFERENCE.test(reference) ? reference : undefined;
}

export function pushedRequestObject(env: Pick<Env, "PUSHED_AUTHORIZATION_REQUESTS">, reference: string) {
  return env.PUSHED_AUTHORIZATION_REQUESTS.get(env.PUSHED_AUTHORIZATION_REQUESTS.idFromName(reference));
}
