import { type Client, getConfig, type InteractionRecord, invalidRequest, type ValidatedAuthorizationRequest } from "@op/core";
import { subjectFor } from "@op/rules";
import { type ConsentRecord, type Env, interactionObject, userBySub } from "@op/storage";
import { type CurrentSession, currentSession } from "../session";
import { targetOf } from "./context";
import { type Decision, decide } from "./decision";
import { issueAuthorizationResponse } from "./response/issue";
import { authorizationErrorResponse } from "./response/respond";

/** What the caller already knows, so it is not read again. */
export interface Known {
  session?: CurrentSession | null;
  consent?: ConsentRecord | null;
}

/** The outcome of a validated request: the authorization response, or the prompt the user must see first. */
export type Outcome = { kind: "response"; response: Response } | { kind: "prompt"; decision: Extract<Decision, { kind: "login" | "consent" }> };

export const alreadyCompleted = () => invalidRequest("this login request has already been completed or has expired");

/**
 * Decides a validated request against the browser's session and the user's consent, from
 * /authorize or when an interaction resumes. An answer (code and tokens, or an error for the
 * client) finishes the interaction first: that is the single-use step, so a second submission
 * finds nothing to finish and no second code is issued.
 */
export async function conclude(
  env: Env,
  request: Request,
  client: Client,
  req: ValidatedAuthorizationRequest,
  interaction?: InteractionRecord,
  known: Known = {},
): Promise<Outcome> {
  const session = known.session !== undefined ? known.session : await currentSession(request, env);
  const consent = known.consent !== undefined ? known.consent : session ? await userBySub(env, session.record.sub)?.consent(client.client_id) : null;
  const sessionSub = session ? await subjectFor(client, session.record.sub, getConfig(env)) : undefined;
  const decision = decide({
    request: req,
    session: session?.record ?? null,
    sessionSub,
    consent: consent ?? null,
    progress: { loggedInSid: interaction?.loggedInSid, consentedBy: interaction?.consentedBy },
    now: Math.floor(Date.now() / 1000),
  });
  if (decision.kind === "login" || decision.kind === "consent") return { kind: "prompt", decision };
  if (interaction && !(await interactionObject(env, interaction.uid).finish())) throw alreadyCompleted();
  if (decision.kind === "error") return { kind: "response", response: await authorizationErrorResponse(env, targetOf(req, client), decision.error) };
  return { kind: "response", response: await issueAuthorizationResponse(env, client, req, { key: session!.key, record: decision.session }) };
}
