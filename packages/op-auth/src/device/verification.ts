import { type Client, getConfig, randomToken, retryAfterOf, timingSafeEqual } from "@op/core";
import { clientAddress, readForm } from "@op/http";
import { formatUserCode, normalizeUserCode } from "@op/rules";
import {
  deviceAuthorizationObject,
  type Env,
  enforceRateLimit,
  getClient,
  type PendingDeviceAuthorization,
  refundRateLimit,
  sessionObject,
  userBySub,
} from "@op/storage";
import { readCookie, setCookie } from "../cookies";
import { authenticateUser } from "../interaction/authenticate";
import { type CurrentSession, currentSession } from "../session";
import { renderDeviceConsent, renderDeviceDone, renderDeviceLogin, renderUserCodeForm } from "./pages";

/**
 * The user side of the device authorization grant (RFC 8628 §3.3): enter the code, log in if
 * needed, approve or deny. The user code travels in the forms and every step looks it up again,
 * so an unknown, expired or already answered code sends the user back to the code form. Every
 * form carries a CSRF token that must equal its cookie (double submit, as logout does).
 */

const UNKNOWN_CODE = "This code is unknown, has expired or was already used. Check the code on your device, or start again there.";

interface Found {
  userCode: string;
  request: PendingDeviceAuthorization;
  client: Client;
}

/** GET /device: the code form, prefilled from verification_uri_complete (RFC 8628 §3.3.1). */
export async function showDeviceVerification(request: Request, env: Env): Promise<Response> {
  const csrf = csrfTokenOf(request, env);
  const prefill = (new URL(request.url).searchParams.get("user_code") ?? "").slice(0, 20);
  return withCsrfCookie(env, csrf, renderUserCodeForm(csrf, { userCode: prefill }));
}

/** POST /device: a code the user can answer leads to login, or with a session straight to consent. */
export const submitUserCode = (request: Request, env: Env) =>
  formStep(request, env, async (form, csrf) => {
    const found = await pendingRequest(env, request, form.user_code);
    if (!found) return unknownCode(csrf, form);
    const session = await currentSession(request, env);
    return session ? consentPage(csrf, found) : loginPage(csrf, found);
  });

/** POST /device/login: the shared password login, then the consent page with the new session. */
export const submitDeviceLogin = (request: Request, env: Env) =>
  formStep(request, env, async (form, csrf) => {
    const found = await pendingRequest(env, request, form.user_code);
    if (!found) return unknownCode(csrf, form);
    if (form.action === "cancel") return deny(env, csrf, found);
    const login = await authenticateUser(env, request, form);
    if ("error" in login) return renderDeviceLogin(csrf, found.client, formatUserCode(found.userCode), login.error, login);
    const res = await consentPage(csrf, found);
    for (const cookie of login.cookies) res.headers.append("Set-Cookie", cookie);
    return res;
  });

/** POST /device/consent: the user's answer. */
export const submitDeviceConsent = (request: Request, env: Env) =>
  formStep(request, env, async (form, csrf) => {
    const found = await pendingRequest(env, request, form.user_code);
    if (!found) return unknownCode(csrf, form);
    if (form.decision !== "approve") return deny(env, csrf, found);
    const session = await currentSession(request, env);
    if (!session) return loginPage(csrf, found); // the session ended meanwhile: log in again
    return approve(env, csrf, found, session);
  });

/** Reads the form and checks its CSRF token; a stale form gets the code form again, never a 500. */
async function formStep(request: Request, env: Env, step: (form: Record<string, string>, csrf: string) => Promise<Response>): Promise<Response> {
  const csrf = csrfTokenOf(request, env);
  const { params: form } = await readForm(request, 16 * 1024);
  const cookie = readCookie(request, env, "deviceCsrf");
  if (!cookie || !form.csrf || !timingSafeEqual(cookie, form.csrf)) {
    const error = "The form has expired; enter the code again.";
    return withCsrfCookie(env, csrf, renderUserCodeForm(csrf, { userCode: displayable(form.user_code), error, status: 403 }));
  }
  return withCsrfCookie(
    env,
    csrf,
    step(form, csrf).catch((err) => tooManyCodes(err, csrf, form)),
  );
}

/**
 * The pending request for what the user typed, with its client; null when there is none to
 * answer. RFC 8628 §5.1: user codes are short enough to guess, so every lookup counts against
 * the address until it turns out to lead to a request (then it is taken back): what is limited
 * is unknown codes, on every page that looks one up, not people answering their devices.
 */
async function pendingRequest(env: Env, http: Request, typed: string | undefined): Promise<Found | null> {
  const userCode = normalizeUserCode(typed ?? "");
  if (!userCode) return null;
  const ticket = await enforceRateLimit(env, "device:ip", clientAddress(http));
  const request = await deviceAuthorizationObject(env, userCode).pending();
  const client = request && (await getClient(env, request.clientId));
  if (!request || !client) return null;
  await refundRateLimit(env, ticket);
  return { userCode, request, client };
}

/** Over the limit of unknown codes: the code form again, with 429 and Retry-After. */
function tooManyCodes(err: unknown, csrf: string, form: Record<string, string>): Promise<Response> {
  const retryAfter = retryAfterOf(err);
  if (retryAfter === undefined) throw err;
  const error = `Too many unknown codes were entered from your network. Wait ${retryAfter} seconds, then try again.`;
  return renderUserCodeForm(csrf, { userCode: displayable(form.user_code), error, status: 429, headers: { "Retry-After": String(retryAfter) } });
}

/** Records consent, then approves with who is logged in (RFC 8628 §3.3). */
async function approve(env: Env, csrf: string, found: Found, session: CurrentSession): Promise<Response> {
  const account = userBySub(env, session.record.sub);
  if (!account) throw new Error("session subject is not an account");
  await account.grantConsent(found.client.client_id, found.request.scopes, []);
  const { sub, sid, authTime, acr, amr } = session.record;
  const grantId = randomToken(16); // chosen now, so the approving session knows the grant its logout must reach
  if (!(await deviceAuthorizationObject(env, found.userCode).approve({ sub, sid, authTime, acr, amr }, grantId))) return unknownCode(csrf, {});
  await sessionObject(env, session.key).addClient(found.client.client_id, grantId); // for logout propagation
  return renderDeviceDone(true);
}

async function deny(env: Env, csrf: string, found: Found): Promise<Response> {
  if (!(await deviceAuthorizationObject(env, found.userCode).deny())) return unknownCode(csrf, {});
  return renderDeviceDone(false);
}

const loginPage = (csrf: string, found: Found) => renderDeviceLogin(csrf, found.client, formatUserCode(found.userCode));
const consentPage = (csrf: string, found: Found) => renderDeviceConsent(csrf, found.client, formatUserCode(found.userCode), found.request);
const unknownCode = (csrf: string, form: Record<string, string>) => renderUserCodeForm(csrf, { userCode: displayable(form.user_code), error: UNKNOWN_CODE });
const displayable = (typed: string | undefined) => (typed ?? "").slice(0, 20);

/** The browser's CSRF token, kept while its cookie holds one, so that several tabs agree. */
function csrfTokenOf(request: Request, env: Env): string {
  const cookie = readCookie(request, env, "deviceCsrf");
  return cookie && /^[A-Za-z0-9_-]{43}$/.test(cookie) ? cookie : randomToken(32);
}

async function withCsrfCookie(env: Env, csrf: string, response: Promise<Response>): Promise<Response> {
  const res = await response;
  res.headers.append("Set-Cookie", setCookie(env, "deviceCsrf", csrf, { maxAge: getConfig(env).ttl.deviceCode }));
  return res;
}
