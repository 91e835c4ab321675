import { type Client, getConfig, invalidRequest, randomToken, timingSafeEqual } from "@op/core";
import { NO_STORE, paramsOf, readForm, rejectDuplicates } from "@op/http";
import { spaceSeparated, subjectFor } from "@op/rules";
import { cachedClient, type Env } from "@op/storage";
import { audiencesOf, verifyIdTokenHint } from "@op/tokens";
import { clearCookie, readCookie, setCookie } from "../cookies";
import { cspSourceFor, html, page } from "../html";
import { currentSession, endSession } from "../session";
import { type Locale, localeOf, t, text } from "../ui/i18n";

/** OpenID Connect RP-Initiated Logout 1.0 §2-§3. */

interface LogoutRequest {
  client?: Client;
  postLogoutRedirectUri?: string;
  state?: string;
  /** The ID token hint names this session's user, so logout needs no confirmation (§2). */
  hintSub?: string;
  hintSid?: string;
}

async function validateLogoutRequest(env: Env, params: Record<string, string>): Promise<LogoutRequest> {
  const hint = params.id_token_hint ? await verifyIdTokenHint(env, params.id_token_hint.slice(0, 8000)) : undefined;
  if (hint === null) throw invalidRequest("id_token_hint is not a valid ID token issued by this provider");
  const audiences = audiencesOf(hint?.aud);
  if (params.client_id && hint && !audiences.includes(params.client_id)) throw invalidRequest("client_id does not match the id_token_hint");
  const clientId = params.client_id ?? (audiences.length === 1 ? audiences[0] : undefined);
  const client = clientId ? ((await cachedClient(env, clientId)) ?? undefined) : undefined;
  if (clientId && !client) throw invalidRequest("unknown client_id");
  const uri = params.post_logout_redirect_uri;
  if (uri !== undefined) {
    if (!client) throw invalidRequest("post_logout_redirect_uri needs id_token_hint or client_id");
    if (!(client.post_logout_redirect_uris ?? []).includes(uri)) throw invalidRequest("post_logout_redirect_uri is not registered for this client");
  }
  return { client, postLogoutRedirectUri: uri, state: params.state, hintSub: hint?.sub, hintSid: typeof hint?.sid === "string" ? hint.sid : undefined };
}

function finish(env: Env, locale: Locale, req: LogoutRequest, cookies: string[]): Response | Promise<Response> {
  const headers: Record<string, string> = {};
  if (req.postLogoutRedirectUri) {
    const url = new URL(req.postLogoutRedirectUri);
    if (req.state !== undefined) url.searchParams.set("state", req.state);
    const res = new Response(null, { status: 303, headers: { Location: url.toString(), ...NO_STORE } });
    for (const c of cookies) res.headers.append("Set-Cookie", c);
    return res;
  }
  return page(
    { env, locale, title: text(locale, "logout.done.title"), headers },
    html`<h1>${t(locale, "logout.done.heading")}</h1><p id="signed-out">${t(locale, "logout.done.body")}</p>`,
  ).then((res) => {
    for (const c of cookies) res.headers.append("Set-Cookie", c);
    return res;
  });
}

/** GET/POST /session/end */
export async function endSessionEndpoint(request: Request, env: Env): Promise<Response> {
  const { params, duplicates } = request.method === "POST" ? await readForm(request, 16 * 1024) : paramsOf(new URL(request.url).searchParams);
  rejectDuplicates(duplicates);
  // RP-Initiated Logout §2: ui_locales, as at the authorization endpoint.
  const locale = localeOf(request, spaceSeparated(params.ui_locales));
  const req = await validateLogoutRequest(env, params);
  const session = await currentSession(request, env);
  if (!session) return finish(env, locale, req, []);
  // The hint's sub is the one its client sees (pairwise or public, OIDC Core §8).
  const sessionSub = req.client ? await subjectFor(req.client, session.record.sub, getConfig(env)) : session.record.sub;
  const hintMatches = req.hintSub === sessionSub && (req.hintSid === undefined || req.hintSid === session.record.sid);
  if (hintMatches) return finish(env, locale, req, [await endSession(env, session)]);
  return confirmLogout(env, locale, req);
}

/** Without a matching hint the OP asks the user (§2: the OP SHOULD ask whether to log out). */
async function confirmLogout(env: Env, locale: Locale, req: LogoutRequest): Promise<Response> {
  const csrf = randomToken(32);
  const name = req.client?.client_name ?? req.client?.client_id;
  const res = await page(
    { env, locale, title: text(locale, "logout.confirm.title"), formTargets: req.postLogoutRedirectUri ? [cspSourceFor(req.postLogoutRedirectUri)] : [] },
    html`<h1>${t(locale, "logout.confirm.heading")}</h1>${name ? html`<p>${t(locale, "logout.confirm.requestedBy", { client: html`<strong>${name}</strong>` })}</p>` : ""}
<form method="post" action="/session/end/confirm">
<input type="hidden" name="csrf" value="${csrf}">
${req.client ? html`<input type="hidden" name="client_id" value="${req.client.client_id}">` : ""}
${req.postLogoutRedirectUri ? html`<input type="hidden" name="post_logout_redirect_uri" value="${req.postLogoutRedirectUri}">` : ""}
${req.state !== undefined ? html`<input type="hidden" name="state" value="${req.state}">` : ""}
<div class="actions"><button class="primary" type="submit" name="logout" value="yes" id="logout">${t(locale, "logout.confirm.yes")}</button><button class="secondary" type="submit" name="logout" value="no" id="stay">${t(locale, "logout.confirm.no")}</button></div>
</form>`,
  );
  res.headers.append("Set-Cookie", setCookie(env, "logoutCsrf", csrf, { maxAge: 600 }));
  return res;
}

/** POST /session/end/confirm: the user's answer; the CSRF token must match its cookie (double submit). */
export async function confirmLogoutEndpoint(request: Request, env: Env): Promise<Response> {
  const { params } = await readForm(request, 16 * 1024);
  const locale = localeOf(request, spaceSeparated(params.ui_locales));
  const cookie = readCookie(request, env, "logoutCsrf");
  if (!cookie || !params.csrf || !timingSafeEqual(cookie, params.csrf)) throw invalidRequest("the form has expired; try again");
  const carried = Object.fromEntries(
    Object.entries({ client_id: params.client_id, post_logout_redirect_uri: params.post_logout_redirect_uri, state: params.state }).filter(
      ([, v]) => v !== undefined,
    ),
  ) as Record<string, string>;
  const req = await validateLogoutRequest(env, carried);
  const cookies = [clearCookie(env, "logoutCsrf")];
  if (params.logout !== "yes") return finish(env, locale, { ...req }, cookies);
  cookies.push(await endSession(env, await currentSession(request, env)));
  return finish(env, locale, req, cookies);
}
