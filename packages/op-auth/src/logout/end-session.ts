import { type Client, type EndSessionParams, EndSessionParamsSchema, getConfig, invalidRequest, randomToken, timingSafeEqual } from "@op/core";
import { NO_STORE, type OpContext, paramsOf, readForm, rejectDuplicates } from "@op/http";
import { frontchannelLogoutUrl, logoutNeedsConfirmation, spaceSeparated, subjectFor } from "@op/rules";
import { cachedClient, type EndedSession, type Env, endSessionsOf, normalizeUsername, noticesWithin, userBySub } from "@op/storage";
import { audiencesOf, verifyIdTokenHint } from "@op/tokens";
import { clearCookie, readCookie, setCookie } from "../cookies";
import { currentSession, endSession } from "../session";
import { type Locale, localeOf } from "../ui/i18n";
import { confirmationPage, signedOutPage } from "./pages";

/** OpenID Connect RP-Initiated Logout 1.0 §2-§3, with Front- and Back-Channel Logout at its end. */

interface LogoutRequest {
  client?: Client;
  postLogoutRedirectUri?: string;
  state?: string;
  uiLocales?: string[];
  /** A verified id_token_hint's sub (as its client sees it) and sid (§2: it may be expired; its signature must hold). */
  hintSub?: string;
  hintSid?: string;
  logoutHint?: string;
}

function parseParams(raw: Record<string, string>): EndSessionParams {
  const parsed = EndSessionParamsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw invalidRequest(`${issue.path.join(".")}: ${issue.message}`);
}

/**
 * §2: the hint must be an ID token this OP signed (expired ones too); client_id, when both are
 * given, must be among its audiences; the client is the hint's (single) audience or client_id;
 * post_logout_redirect_uri must be one that client registered, exactly (§3; no open redirect).
 */
async function validateLogoutRequest(env: Env, params: EndSessionParams): Promise<LogoutRequest> {
  const hint = params.id_token_hint ? await verifyIdTokenHint(env, params.id_token_hint) : undefined;
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
  return {
    client,
    postLogoutRedirectUri: uri,
    state: params.state,
    uiLocales: spaceSeparated(params.ui_locales),
    hintSub: hint?.sub,
    hintSid: typeof hint?.sid === "string" ? hint.sid : undefined,
    logoutHint: params.logout_hint,
  };
}

/** GET/POST /session/end */
export async function endSessionEndpoint(c: OpContext): Promise<Response> {
  const request = c.req.raw;
  const { params, duplicates } = request.method === "POST" ? await readForm(request, 32 * 1024) : paramsOf(new URL(request.url).searchParams);
  rejectDuplicates(duplicates);
  const req = await validateLogoutRequest(c.env, parseParams(params));
  // RP-Initiated Logout §2: ui_locales, as at the authorization endpoint.
  const locale = localeOf(request, req.uiLocales);
  const session = await currentSession(request, c.env);
  if (!session) return finish(c, locale, req, [], []);
  const account = await userBySub(c.env, session.record.sub)?.profile();
  // The hint's sub is the one its client sees (pairwise or public, OIDC Core §8).
  const sessionSub = req.client ? await subjectFor(req.client, session.record.sub, getConfig(c.env)) : session.record.sub;
  const logoutHint =
    req.logoutHint === undefined ? undefined : { matches: !!account && normalizeUsername(req.logoutHint) === normalizeUsername(account.username) };
  if (!logoutNeedsConfirmation({ hintSub: req.hintSub, hintSid: req.hintSid, logoutHint }, { sub: sessionSub, sid: session.record.sid })) {
    const { ended, cookies } = await endSession(c.env, session);
    return finish(c, locale, req, ended ? [ended] : [], cookies);
  }
  // §2: the OP MUST ask; a hint that names another user is said so on the page (docs/logout.md).
  const namesAnotherUser = (req.hintSub !== undefined && req.hintSub !== sessionSub) || logoutHint?.matches === false;
  return confirmLogout(c.env, locale, req, account?.username, namesAnotherUser);
}

async function confirmLogout(env: Env, locale: Locale, req: LogoutRequest, username: string | undefined, namesAnotherUser: boolean): Promise<Response> {
  const csrf = randomToken(32);
  const res = await confirmationPage(env, locale, { ...req, signedInAs: username, namesAnotherUser }, csrf);
  res.headers.append("Set-Cookie", setCookie(env, "logoutCsrf", csrf, { maxAge: 600 }));
  return res;
}

/** POST /session/end/confirm: the user's answer; the CSRF token must match its cookie (double submit). */
export async function confirmLogoutEndpoint(c: OpContext): Promise<Response> {
  const { params } = await readForm(c.req.raw, 16 * 1024);
  const cookie = readCookie(c.req.raw, c.env, "logoutCsrf");
  if (!cookie || !params.csrf || !timingSafeEqual(cookie, params.csrf)) throw invalidRequest("the form has expired; try again");
  const carried = parseParams(
    Object.fromEntries(
      Object.entries({
        client_id: params.client_id,
        post_logout_redirect_uri: params.post_logout_redirect_uri,
        state: params.state,
        ui_locales: params.ui_locales,
      }).filter(([, v]) => v !== undefined),
    ) as Record<string, string>,
  );
  const req = await validateLogoutRequest(c.env, carried);
  const locale = localeOf(c.req.raw, req.uiLocales);
  const cookies = [clearCookie(c.env, "logoutCsrf")];
  if (params.logout !== "yes" && params.logout !== "everywhere") return finish(c, locale, req, [], cookies);
  const everywhere = params.logout === "everywhere";
  const current = await currentSession(c.req.raw, c.env);
  const { ended, cookies: cleared } = await endSession(c.env, current, everywhere ? "sign_out_everywhere" : "end_session");
  // Sign-out-everywhere: the account's other sessions (other browsers, other devices) end too, each told to its relying parties.
  const others = everywhere && current ? await endSessionsOf(c.env, current.record.sub, "sign_out_everywhere") : [];
  return finish(c, locale, req, [...(ended ? [ended] : []), ...others], [...cookies, ...cleared]);
}

/**
 * After the sessions ended (this browser's; with sign-out-everywhere, all of the account's): the
 * back-channel notifications get up to BACKCHANNEL_LOGOUT_WAIT_MS
 * (the rest continue after the response, and the session's LogoutDelivery alarm retries), then
 * the browser goes on: through the front-channel iframes if any client registered one, to the
 * post_logout_redirect_uri with state (§3), or to the signed-out page.
 */
async function finish(c: OpContext, locale: Locale, req: LogoutRequest, ended: EndedSession[], cookies: string[]): Promise<Response> {
  const config = getConfig(c.env);
  const next = req.postLogoutRedirectUri ? withState(req.postLogoutRedirectUri, req.state) : undefined;
  const frames = (await Promise.all(ended.map((e) => frontchannelFrames(c.env, e)))).flat();
  if (ended.length) await noticesWithin(ended, config.logoutWait.backchannelMs, (p) => c.executionCtx.waitUntil(p));
  if (next && !frames.length) {
    const res = new Response(null, { status: 303, headers: { Location: next, ...NO_STORE } });
    for (const cookie of cookies) res.headers.append("Set-Cookie", cookie);
    return res;
  }
  return signedOutPage(c.env, locale, { frames, next, waitMs: config.logoutWait.frontchannelMs, cookies });
}

const withState = (uri: string, state: string | undefined) => {
  const url = new URL(uri);
  if (state !== undefined) url.searchParams.set("state", state);
  return url.href;
};

/** OIDC Front-Channel Logout §3: the frontchannel_logout_uri of every client the session served, with iss and sid. */
async function frontchannelFrames(env: Env, ended: EndedSession): Promise<string[]> {
  const issuer = getConfig(env).issuer;
  const clients = await Promise.all(ended.clients.map((id) => cachedClient(env, id)));
  return clients.flatMap((client) => {
    const url = client?.frontchannel_logout_uri ? frontchannelLogoutUrl(client.frontchannel_logout_uri, { issuer, sid: ended.sid }) : null;
    return url ? [url] : [];
  });
}
