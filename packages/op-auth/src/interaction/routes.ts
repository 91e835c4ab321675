import { accessDenied, type InteractionRecord, invalidClient, invalidRequest, OAuthError, sha256b64url, timingSafeEqual } from "@op/core";
import { readForm } from "@op/http";
import { cachedClient, type Env, interactionObject } from "@op/storage";
import { proceed } from "../authorize/proceed";
import { authorizationErrorResponse, targetOf } from "../authorize/respond";
import { interactionCookieName, readCookie } from "../cookies";
import { errorPage, seeOther } from "../html";
import { currentSession } from "../session";
import { authenticateUser } from "./authenticate";
import { grantConsentFor } from "./consent";
import { renderLogin } from "./pages";

/**
 * Login and consent (OIDC Core §3.1.2.3-4). Every step loads the interaction, checks that this
 * browser started it (path-scoped cookie) and, for forms, the CSRF token; then it records
 * progress and hands back to `proceed`, which decides what comes next.
 */
const expired = () => invalidRequest("this login request has expired or was already completed; start again from the application");

async function loadInteraction(request: Request, env: Env, uid: string): Promise<InteractionRecord> {
  if (!/^[A-Za-z0-9_-]{22}$/.test(uid)) throw expired();
  const record = await interactionObject(env, uid).get();
  if (!record) throw expired();
  const secret = readCookie(request, interactionCookieName(env));
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

async function clientOf(env: Env, record: InteractionRecord) {
  const client = await cachedClient(env, record.request.clientId);
  if (!client) throw invalidClient("the client no longer exists", { status: 400 });
  return client;
}

async function refuse(env: Env, record: InteractionRecord, description: string): Promise<Response> {
  const client = await clientOf(env, record);
  if (!(await interactionObject(env, record.uid).finish())) throw expired();
  return authorizationErrorResponse(env, targetOf(record.request, client), accessDenied(description));
}

/** GET /interaction/:uid — show whatever the request needs next. */
export async function showInteraction(request: Request, env: Env, uid: string): Promise<Response> {
  return guard(async () => {
    const record = await loadInteraction(request, env, uid);
    return proceed(env, request, await clientOf(env, record), record.request, record);
  });
}

/** POST /interaction/:uid/login */
export async function submitLogin(request: Request, env: Env, uid: string): Promise<Response> {
  return guard(async () => {
    const record = await loadInteraction(request, env, uid);
    const form = await readCsrfForm(request, record);
    if (form.action === "cancel") return refuse(env, record, "the user cancelled the login");
    const login = await authenticateUser(env, request, form);
    if ("error" in login) return renderLogin(env, await clientOf(env, record), record, login.error, login); // the client only for the page
    if (!(await interactionObject(env, uid).update({ loggedInAt: Date.now() }))) throw expired();
    return seeOther(`/interaction/${uid}`, login.cookie);
  });
}

/** POST /interaction/:uid/consent */
export async function submitConsent(request: Request, env: Env, uid: string): Promise<Response> {
  return guard(async () => {
    const record = await loadInteraction(request, env, uid);
    const form = await readCsrfForm(request, record);
    if (form.decision !== "approve") return refuse(env, record, "the user denied the request");
    const [session, client] = await Promise.all([currentSession(request, env), clientOf(env, record)]);
    if (!session) return seeOther(`/interaction/${uid}`); // the session ended meanwhile: log in again
    await grantConsentFor(env, session.record.sub, record);
    // Resume at once: the answer is the authorization response itself, one request fewer.
    const consented = { ...record, consentedAt: Date.now() };
    return proceed(env, request, client, record.request, consented, { session, consent: null /* consentedAt decides */, afterForm: true });
  });
}

async function guard(step: () => Promise<Response>): Promise<Response> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof OAuthError) return errorPage(err);
    throw err;
  }
}
