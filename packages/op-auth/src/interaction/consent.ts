import type { InteractionRecord } from "@op/core";
import { type Env, userBySub } from "@op/storage";
import { consentScope } from "../authorization/prompts/consent";

/** Remembers the approved scopes and claims for this user and client. */
export async function grantConsentFor(env: Env, sub: string, record: InteractionRecord): Promise<void> {
  const { scopes, claims } = consentScope(record.request);
  const account = userBySub(env, sub);
  if (!account) throw new Error("session subject is not an account");
  await account.grantConsent(record.request.clientId, scopes, claims);
}
