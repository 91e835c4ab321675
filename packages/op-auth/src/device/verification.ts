import { type Client, getConfig, randomToken, retryAfterOf, timingSafeEqual } from "@op/core";
import { clientAddress, readForm } from "@op/http";
import { formatUserCode, normalizeUserCode } from "@op/rules";
import {
  cachedClient,
  deviceAuthorizationObject,
  type Env,
  enforceRateLimit,
  type PendingDeviceAuthorization,
  refundRateLimit,
  sessionObject,
  userBySub,
} from "@op/storage";
import { readCookie, setCookie } from "../cookies";
import { authenticateUser } from "../interaction/authenticate";
import { type CurrentSession, currentSession } from "../session";
import { localeOf, t } from "../ui/i18n";
import { type DevicePageContext, renderDeviceConsent, renderDeviceDone, renderDeviceLogin, renderUserCodeForm } from "./pages";

/**
 * The user side of the device authorization grant (RFC 8628 §3.3): enter the code, log in if
 * needed, approve or deny. The user code travels in the forms and every step looks it up again,
 * so an unknown, expired or already answered code sends the user back to the code form. Every
 * form carries a CSRF token that must equal its cookie (double submit, as logout does).
 */

interface Found {
  userCode: string;
  request: PendingDeviceAuthorization;
  client: Client;
}

/** GET /device: the code form, prefilled from verification_uri_complete (RFC 8628 §3.3.1). */
export async function showDeviceVerification(request: Request, env: Env): Promise<Response> {
  const p = pageContext(request, env);
  const prefill = (new URL(request.url).searchParams.get("user_code") ?? "").slice(0, 20);
  return withCsrfCookie(p, renderUserCodeForm(p, { userCode: prefill }));
}

/** POST /device: a code the user can answer leads to login, or with a session straight to consent. */
export const submitUserCode = (request: Request, env: Env) =>
  formStep(request, env, async (form, p) => {
    const found = await pendingRequest(env, request, form.user_code);
    if (!found) return unknownCode(p, form);
    const session = await currentSession(request, env);
    return session ? consentPage(p, found) : loginPage(p, found);
  });

/** POST /device/login: the shared password login, then the consent page with the new session. */
export const submitDeviceLogin = (request: Request, env: Env) =>
  formStep(request, env, async (form, p) => {
    const found = await pendingRequest(env, request, form.user_code);
    if (!found) return unknownCode(p, form);
    if (form.action === "cancel") return deny(p, found);
    const login = await authenticateUser(env, request, form);
    if ("error" in login) return renderDeviceLogin(p, found.client, formatUserCode(found.userCode), { refusal: login, username: form.username?.slice(0, 100) });
    const res = await consentPage(p, found);
    for (const cookie of login.cookies) res.headers.append("Set-Cookie", cookie);
    return res;
  });

/** POST /device/consent: the user's answer. */
export const submitDeviceConsent = (request: Request, env: Env) =>
  formStep(request, env, async (form, p) => {
    const found = await pendingRequest(env, request, form.user_code);
    if (!found) return unknownCode(p, form);
    if (form.decision !== "approve") return deny(p, found);
    const session = await currentSession(request, env);
    if (!session) return loginPage(p, found); // the session ended meanwhile: log in again
    return approve(p, found, session);
  });

/** The pages' language (the browser's) and this browser's CSRF token. */
const pageContext = (request: Request, env: Env): DevicePageContext => ({ env, locale: localeOf(request), csrf: csrfTokenOf(request, env) });

/** Reads the form and checks its CSRF token; a stale form gets the code form again, never a 500. */
async function formStep(request: Request, env: Env, step: (form: Record<string, string>, p: DevicePageContext) => Promise<Response>): Promise<Response> {
  const p = pageContext(request, env);
  const { params: form } = await readForm(request, 16 * 1024);
  const cookie = readCookie(request, env, "deviceCsrf");
  if (!cookie || !form.csrf || !timingSafeEqual(cookie, form.csrf)) {
    return withCsrfCookie(p, renderUserCodeForm(p, { userCode: displayable(form.user_code), error: t(p.locale, "device.code.expired"), status: 403 }));
  }
  return withCsrfCookie(
    p,
    step(form, p).catch((err) => tooManyCodes(err, p, form)),
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
  const client = request && (await cachedClient(env, request.clientId));
  if (!request || !client) return null;
  await refundRateLimit(env, ticket);
  return { userCode, request, client };
}

/** Over the limit of unknown codes: the code form again, with 429 and Retry-After. */
function tooManyCodes(err: unknown, p: DevicePageContext, form: Record<string, string>): Promise<Response> {
  const retryAfter = retryAfterOf(err);
  if (retryAfter === undefined) throw err;
  const error = t(p.locale, "device.code.tooMany", { seconds: retryAfter });
  return renderUserCodeForm(p, { userCode: displayable(form.user_code), error, status: 429, headers: { "Retry-After": String(retryAfter) } });
}

/** Records consent, then approves with who is logged in (RFC 8628 §3.3). */
async function approve(p: DevicePageContext, found: Found, session: CurrentSession): Promise<Response> {
  const account = userBySub(p.env, session.record.sub);
  if (!account) throw new Error("session subject is not an account");
  await account.grantConsent(found.client.client_id, found.request.scopes, []);
  const { sub, sid, authTime, acr, amr } = session.record;
  const grantId = randomToken(16); // chosen now, so the approving session knows the grant its logout must reach
  if (!(await deviceAuthorizationObject(p.env, found.userCode).approve({ sub, sid, authTime, acr, amr }, grantId))) return unknownCode(p, {});
  await sessionObject(p.env, session.key).addClient(found.client.client_id, grantId); // for logout propagation
  return renderDeviceDone(p, true);
}

async function deny(p: DevicePageContext, found: Found): Promise<Response> {
  if (!(await deviceAuthorizationObject(p.env, found.userCode).deny())) return unknownCode(p, {});
  return renderDeviceDone(p, false);
}

const loginPage = (p: DevicePageContext, found: Found) => renderDeviceLogin(p, found.client, formatUserCode(found.userCode));
const consentPage = (p: DevicePageContext, found: Found) => renderDeviceConsent(p, found.client, formatUserCode(found.userCode), found.request);
const unknownCode = (p: DevicePageContext, form: Record<string, string>) =>
  renderUserCodeForm(p, { userCode: displayable(form.user_code), error: t(p.locale, "device.code.unknown") });
const displayable = (typed: string | undefined) => (typed ?? "").slice(0, 20);

/** The browser's CSRF token, kept while its cookie holds one, so that several tabs agree. */
function csrfTokenOf(request: Request, env: Env): string {
  const cookie = readCookie(request, env, "deviceCsrf");
  return cookie && /^[A-Za-z0-9_-]{43}$/.test(cookie) ? cookie : randomToken(32);
}

async function withCsrfCookie(p: DevicePageContext, response: Promise<Response>): Promise<Response> {
  const res = await response;
  res.headers.append("Set-Cookie", setCookie(p.env, "deviceCsrf", p.csrf, { maxAge: getConfig(p.env).ttl.deviceCode }));
  return res;
}
