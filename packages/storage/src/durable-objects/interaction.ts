import { DurableObject } from "cloudflare:workers";
import { type InteractionRecord, InteractionRecordSchema } from "@op/core";
import type { Env } from "../env";

/**
 * One object per pending authorization request that needs the user (login or consent). It keeps
 * the validated request while the browser goes through the forms, and is finished exactly once:
 * `finish` deletes it in the same step that returns it, so a double-submitted consent cannot
 * issue two codes.
 */
export class Interaction extends DurableObject<Env> {
  async begin(record: InteractionRecord): Promise<void> {
    const parsed = InteractionRecordSchema.parse(record);
    if (this.ctx.storage.kv.get("interaction")) throw new Error("interaction collision");
    this.ctx.storage.kv.put("interaction", parsed);
    await this.ctx.storage.setAlarm(parsed.expiresAt);
  }

  get(now = Date.now()): InteractionRecord | null {
    const r = this.ctx.storage.kv.get<InteractionRecord>("interaction");
    return r && now < r.expiresAt ? r : null;
  }

  /** Merges progress (login, consent) into a live interaction; false when it is gone. */
  update(patch: Pick<Partial<InteractionRecord>, "loggedInSid" | "consentedBy">): boolean {
    const r = this.get();
    if (!r) return false;
    this.ctx.storage.kv.put("interaction", { ...r, ...patch });
    return true;
  }

  /** Returns the interaction and deletes it, in one step. Nothing is written when there is none (even a delete stores a table). */
  finish(): InteractionRecord | null {
    const r = this.get();
    if (this.ctx.storage.kv.get("interaction") !== undefined) this.ctx.storage.kv.delete("interaction");
    return r;
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}

export function interactionObject(env: Pick<Env, "INTERACTIONS">, uid: string) {
  return env.INTERACTIONS.get(env.INTERACTIONS.idFromName(uid));
}
