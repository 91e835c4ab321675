import { type Client, getConfig, type InteractionRecord, invalidRequest, randomToken, sha256b64url, type ValidatedAuthorizationRequest } from "@op/core";
import { subjectFor } from "@op/rules";
import { type ConsentRecord, type Env, interactionObject, userBySub } from "@op/storage";
import { interactionCookieName, interactionPath, setCookie } from "../cookies";
import { errorPage, seeOther } from "../html";
import { renderConsent, renderLogin } from "../interaction/pages";
import { type CurrentSession, currentSession } from "../session";
import { issueAuthorizationResponse } from "./complete";
import { decide, type InteractionProgress } from "./decide";
import { authorizationErrorResponse, targetOf } from "./respond";

const alreadyCompleted = () => errorPage(invalidRequest("this login request has already been completed or has expired"));

/** What the caller already knows, so it is not read again; and whether it answers a form. */
export interface Known {
  session?: CurrentSession | null;
  consent?: ConsentRecord | null;
  /** A form was just submitted: a page comes from GET /interaction/:uid (post/redirect/get). */
  afterForm?: boolean;
}

/**
 * Runs the decision for a validated request, from /authorize or when an interaction resumes:
 * issue the code, answer with an error, or send the user to login/consent.
 */
export async function proceed(
  env: Env,
  request: Request,
  client: Client,
  req: ValidatedAuthorizationRequest,
  interaction?: InteractionRecord,
  known: Known = {},
): Promise<Response> {
  const session = known.session !== undefined ? known.session : await currentSession(request, env);
  const consent = known.consent !== undefined ? known.consent : session ? await userBySub(env, session.record.sub)?.consent(client.client_id) : null;
  const progress: InteractionProgress = { loggedInAt: interaction?.loggedInAt, consentedAt: interaction?.consentedAt };
  const sessionSub = session ? await subjectFor(client, session.record.sub, getConfig(env)) : undefined;
  const decision = decide(req, session?.record ?? null, sessionSub, consent ?? null, progress);

  if (decision.kind === "error" || decision.kind === "issue") {
    // Finishing the interaction is the single-use step: a second submission finds nothing.
    if (interaction && !(await interactionObject(env, interaction.uid).finish())) return alreadyCompleted();
    if (decision.kind === "error") return authorizationErrorResponse(env, targetOf(req, client), decision.error);
    return issueAuthorizationResponse(env, client, req, { key: session!.key, record: decision.session });
  }
  if (!interaction) return beginInteraction(env, req);
  if (known.afterForm) return showNextStep(env, interaction);
  return decision.kind === "login" ? renderLogin(env, client, interaction) : renderConsent(env, client, interaction);
}

/** Keeps the interaction's progress and sends the browser to its next page. */
async function showNextStep(env: Env, interaction: InteractionRecord): Promise<Response> {
  const { loggedInAt, consentedAt } = interaction;
  if (!(await interactionObject(env, interaction.uid).update({ loggedInAt, consentedAt }))) return alreadyCompleted();
  return seeOther(`${getConfig(env).issuer}${interactionPath(interaction.uid)}`);
}

/** Parks the request in a new Interaction object, bound to this browser by a path-scoped cookie. */
async function beginInteraction(env: Env, req: ValidatedAuthorizationRequest): Promise<Response> {
  const config = getConfig(env);
  const uid = randomToken(16);
  const browserSecret = randomToken(32);
  const now = Date.now();
  await interactionObject(env, uid).begin({
    uid,
    request: req,
    browserHash: await sha256b64url(browserSecret),
    csrfToken: randomToken(32),
    createdAt: now,
    expiresAt: now + config.ttl.interaction * 1000,
  });
  return seeOther(
    `${config.issuer}${interactionPath(uid)}`,
    setCookie(env, interactionCookieName(env), browserSecret, { maxAge: config.ttl.interaction, path: interactionPath(uid) }),
  );
}
