import { type Client, randomToken } from "@op/core";
import type { Env } from "@op/storage";
import { cspSourceFor, html, page, pageHeaders, raw } from "../html";
import { clientName } from "../interaction/pages";
import { type Locale, t, text } from "../ui/i18n";

/** What the confirmation form carries to /session/end/confirm: the request, never the hint itself. */
export interface ConfirmationRequest {
  client?: Client;
  postLogoutRedirectUri?: string;
  state?: string;
  uiLocales?: string[];
  /** Who is signed in here, and whether the request named someone else (OIDC RP-Initiated Logout §2). */
  signedInAs?: string;
  namesAnotherUser: boolean;
}

/** OIDC RP-Initiated Logout §2: the OP asks the user, on a form bound to this browser by a CSRF token (double submit). */
export function confirmationPage(env: Env, locale: Locale, req: ConfirmationRequest, csrf: string): Promise<Response> {
  const locales = req.uiLocales;
  const name = req.client ? clientName(req.client, locales) : undefined;
  return page(
    { env, locale, title: text(locale, "logout.confirm.title"), formTargets: req.postLogoutRedirectUri ? [cspSourceFor(req.postLogoutRedirectUri)] : [] },
    html`<h1>${t(locale, "logout.confirm.heading")}</h1>
${req.signedInAs ? html`<p>${t(locale, "logout.confirm.signedInAs", { user: html`<strong id="signed-in-as">${req.signedInAs}</strong>` })}</p>` : ""}
${req.namesAnotherUser ? html`<p id="another-user" class="error" role="alert">${t(locale, "logout.confirm.anotherUser")}</p>` : ""}
${name ? html`<p>${t(locale, "logout.confirm.requestedBy", { client: html`<strong id="client-name">${name}</strong>` })}</p>` : ""}
<form method="post" action="/session/end/confirm">
<input type="hidden" name="csrf" value="${csrf}">
${req.client ? html`<input type="hidden" name="client_id" value="${req.client.client_id}">` : ""}
${req.postLogoutRedirectUri ? html`<input type="hidden" name="post_logout_redirect_uri" value="${req.postLogoutRedirectUri}">` : ""}
${req.state !== undefined ? html`<input type="hidden" name="state" value="${req.state}">` : ""}
${locales?.length ? html`<input type="hidden" name="ui_locales" value="${locales.join(" ")}">` : ""}
<div class="actions"><button class="primary" type="submit" name="logout" value="yes" id="logout">${t(locale, "logout.confirm.yes")}</button><button class="secondary" type="submit" name="logout" value="no" id="stay">${t(locale, "logout.confirm.no")}</button></div>
${
  req.signedInAs
    ? html`<div class="actions"><button class="secondary" type="submit" name="logout" value="everywhere" id="logout-everywhere" aria-describedby="everywhere-note">${t(locale, "logout.confirm.everywhere")}</button></div>
<p class="note" id="everywhere-note">${t(locale, "logout.confirm.everywhereNote")}</p>`
    : ""
}
</form>`,
  );
}

/**
 * The end of a logout. With front-channel clients (OIDC Front-Channel Logout §3): their logout
 * URIs in hidden iframes, the CSP allowing exactly those origins as frame sources, and a script
 * that goes on to `next` (the post_logout_redirect_uri with its state) once every iframe has
 * loaded or `waitMs` have passed, whichever is first. Without script the user follows the link.
 */
export function signedOutPage(env: Env, locale: Locale, opts: { frames: string[]; next?: string; waitMs: number; cookies: string[] }): Promise<Response> {
  const nonce = randomToken(16);
  const origins = [...new Set(opts.frames.map(cspSourceFor))];
  const body = html`<h1>${t(locale, "logout.done.heading")}</h1>
${
  opts.next
    ? html`<p id="continuing" role="status">${t(locale, "logout.done.returning")}</p><p><a id="continue" href="${opts.next}">${t(locale, "logout.done.continue")}</a></p>`
    : html`<p id="signed-out">${t(locale, "logout.done.body")}</p>`
}
<div id="frontchannel" data-wait="${String(opts.waitMs)}" data-next="${opts.next ?? ""}">${opts.frames.map(
    (src) => html`<iframe hidden src="${src}" title="${text(locale, "logout.done.frameTitle")}" data-logout></iframe>`,
  )}</div>
${opts.frames.length && opts.next ? html`<script nonce="${nonce}">${raw(CONTINUE_SCRIPT)}</script>` : ""}`;
  return page({ env, locale, title: text(locale, "logout.done.title"), nonce, framing: { frameSources: origins } }, body).then((res) => {
    for (const c of opts.cookies) res.headers.append("Set-Cookie", c);
    return res;
  });
}

/** Goes on once every front-channel iframe has loaded, or after the wait; runs right after the iframes, before any can report. */
const CONTINUE_SCRIPT = `(function(){var box=document.getElementById("frontchannel");var next=box.dataset.next;var frames=box.querySelectorAll("iframe[data-logout]");var left=frames.length;var gone=false;
function go(){if(gone)return;gone=true;location.replace(next);}
frames.forEach(function(f){f.addEventListener("load",function(){left--;if(left<=0)go();});});
setTimeout(go,Number(box.dataset.wait));})();`;

/**
 * OIDC Session Management §3.3-§3.4: the check_session_iframe. A relying party's frame posts
 * "client_id session_state"; this answers "unchanged" when session_state is the hash of that
 * client, the message's origin, the browser-state cookie as it is now and the salt, "changed"
 * when not (another origin, a new login, a logout: the cookie changed or is gone), "error" for a
 * message it cannot read. The answer goes back only to the sender's origin. Any site may embed
 * it; nothing it answers says more than whether that origin's own session_state still holds.
 */
export async function checkSessionPage(cookieName: string): Promise<Response> {
  const nonce = randomToken(16);
  // No one sees it (the RP's frame is hidden): a bare document, not the branded page.
  const doc = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Session check</title></head>
<body><script nonce="${nonce}" data-cookie="${cookieName}">${raw(CHECK_SESSION_SCRIPT)}</script></body></html>`;
  return new Response(String(await doc), { headers: pageHeaders([], nonce, { embeddable: true }) });
}

const CHECK_SESSION_SCRIPT = `(function(){var name=document.currentScript.dataset.cookie;
function browserState(){var parts=document.cookie.split(";");for(var i=0;i<parts.length;i++){var c=parts[i].trim();if(c.indexOf(name+"=")===0)return c.slice(name.length+1);}return "";}
function b64url(buf){var b=new Uint8Array(buf);var s="";for(var i=0;i<b.length;i++)s+=String.fromCharCode(b[i]);return btoa(s).replace(/\\+/g,"-").replace(/\\//g,"_").replace(/=+$/,"");}
function reply(e,answer){try{e.source.postMessage(answer,e.origin);}catch(_){}}
window.addEventListener("message",function(e){if(!e.source||e.source===window)return;
if(typeof e.data!=="string"||e.data.length>4096)return reply(e,"error");
var sp=e.data.lastIndexOf(" ");if(sp<1)return reply(e,"error");
var clientId=e.data.slice(0,sp);var sessionState=e.data.slice(sp+1);var dot=sessionState.lastIndexOf(".");
if(dot<1||dot===sessionState.length-1)return reply(e,"error");
var salt=sessionState.slice(dot+1);var state=browserState();if(!state)return reply(e,"changed");
crypto.subtle.digest("SHA-256",new TextEncoder().encode(clientId+" "+e.origin+" "+state+" "+salt)).then(function(d){reply(e,b64url(d)+"."+salt===sessionState?"unchanged":"changed");},function(){reply(e,"error");});
},false);})();`;
