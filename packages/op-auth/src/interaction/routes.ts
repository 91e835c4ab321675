import { accessDenied, type Client, getConfig, type InteractionRecord, invalidClient, invalidRequest, sha256b64url, timingSafeEqual } from "@op/core";
import { type OpContext, readForm } from "@op/http";
import { cachedClient, type Env, interactionObject } from "@op/storage";
import { targetOf } from "../authorization/context";
import { alreadyCompleted, conclude, type Known } from "../authorization/flow";
import { authorizationErrorResponse } from "../authorization/response/respond";
import { interactionPath, readCookie } from "../cookies";
import { seeOther } from "../html";
import { currentSession } from "../session";
import { localeOf } from "../ui/i18n";
import { authenticateUser } from "./authenticate";
import { grantConsentFor } from "./consent";
import { renderConsent, renderLogin } from "./pages";

/**
 * Login and consent (OIDC Core §3.1.2.3-4). Every step loads the interaction, checks that this
 * browser started it (path-scoped cookie) and, for forms, the CSRF token; then it records who
 * did what and asks the decision (authorization/flow.ts) what comes next: the authorization
 * response, or the page of the prompt still needed.
 */
const expired = () => invalidRequest("this login request has expired or was already completed; start again from the application");

async function loadInteraction(request: Request, env: Env, uid: string): Promise<InteractionRecord> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(uid)) throw expired();
  const record = await interactionObject(env, uid).get();
  if (!record) throw expired();
  const secret = readCookie(request, env, "browser");
  if (!secret || !timingSafeEqual(await sha256b64url(secret), record.browserHash)) {
    throw invalidRequest("this login request was started in another browser");
  }
  return record;
}

async function readCsrfForm(request: Request, record: InteractionRecord): Promise<Record<string, string>> {
  const { params } = await readForm(request, 16 * 1024);
  if (!params.csrf || !timingSafeEqual(params.csrf, record.csrfToken)) throw invalidRequest("the form has expired; go back and try again");
  return params;
}

async function clientOf(env: Env, record: InteractionRecord): Promise<Client> {
  const client = await cachedClient(env, record.request.clientId);
  if (!client) throw invalidClient("the client no longer exists", { status: 400 });
  return client;
}

/** The user cancelled or denied: the interaction ends and the client hears access_denied (RFC 6749 §4.1.2.1). */
async function refuse(env: Env, record: InteractionRecord, description: string): Promise<Response> {
  const client = await clientOf(env, record);
  if (!(await interactionObject(env, record.uid).finish())) throw expired();
  return authorizationErrorResponse(env, targetOf(record.request, client), accessDenied(description));
}

/** The answer to a resumed request: the response, or the page its prompt needs (a form answer goes back to GET, post/redirect/get). */
async function resume(c: OpContext, record: InteractionRecord, client: Client, opts: { known?: Known; afterForm?: boolean } = {}): Promise<Response> {
  const outcome = await conclude(c.env, c.req.raw, client, record.request, record, opts.known);
  if (outcome.kind === "response") return outcome.response;
  if (opts.afterForm) {
    if (!(await interactionObject(c.env, record.uid).update({ consentedBy: record.consentedBy }))) throw alreadyCompleted();
    return seeOther(`${getConfig(c.env).issuer}${interactionPath(record.uid)}`);
  }
  const locale = localeOf(c.req.raw, record.request.uiLocales);
  return outcome.decision.kind === "login" ? renderLogin(c.env, locale, client, record) : renderConsent(c.env, locale, client, record);
}

/** GET /interaction/:uid: whatever the request needs next. */
export async function showInteraction(c: OpContext): Promise<Response> {
  const record = await loadInteraction(c.req.raw, c.env, c.req.param("uid")!);
  return resume(c, record, await clientOf(c.env, record));
}

/** POST /interaction/:uid/login: a fresh session, recorded as this interaction's login; then back to GET. */
export async function submitLogin(c: OpContext): Promise<Response> {
  const uid = c.req.param("uid")!;
  const record = await loadInteraction(c.req.raw, c.env, uid);
  const form = await readCsrfForm(c.req.raw, record);
  if (form.action === "cancel") return refuse(c.env, record, "the user cancelled the login");
  const login = await authenticateUser(c.env, c.req.raw, form);
  if ("error" in login) {
    // The client only for the page; the name typed stays in the form.
    const locale = localeOf(c.req.raw, record.request.uiLocales);
    return renderLogin(c.env, locale, await clientOf(c.env, record), record, { refusal: login, username: form.username?.slice(0, 100) });
  }
  if (!(await interactionObject(c.env, uid).update({ loggedInSid: login.session.record.sid }))) throw expired();
  return seeOther(interactionPath(uid), login.cookies);
}

/** POST /interaction/:uid/consent: the consent is remembered, then the decision answers at once (one request fewer). */
export async function submitConsent(c: OpContext): Promise<Response> {
  const uid = c.req.param("uid")!;
  const record = await loadInteraction(c.req.raw, c.env, uid);
  const form = await readCsrfForm(c.req.raw, record);
  if (form.decision !== "approve") return refuse(c.env, record, "the user denied the request");
  const [session, client] = await Promise.all([currentSession(c.req.raw, c.env), clientOf(c.env, record)]);
  if (!session) return seeOther(interactionPath(uid)); // the session ended meanwhile: sign in again
  await grantConsentFor(c.env, session.record.sub, record);
  // consentedBy decides, not the remembered consent: what was approved here is bound to who approved it.
  const consented = { ...record, consentedBy: session.record.sub };
  return resume(c, consented, client, { known: { session, consent: null }, afterForm: true });
}
