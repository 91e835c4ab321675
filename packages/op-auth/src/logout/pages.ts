import { type Client, randomToken } from "@op/core";
import { cspSourceFor, html, page, raw } from "../html";
import { localizedClientValue } from "../interaction/pages";

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
export function confirmationPage(req: ConfirmationRequest, csrf: string): Promise<Response> {
  const locales = req.uiLocales;
  const name = req.client ? (localizedClientValue(req.client, "client_name", locales) ?? req.client.client_id) : undefined;
  return page(
    "Sign out",
    html`<h1>Sign out?</h1>${req.signedInAs ? html`<p>You are signed in as <strong id="signed-in-as">${req.signedInAs}</strong>.</p>` : ""}
${req.namesAnotherUser ? html`<p id="another-user" class="error">The application asked to sign out a different account. Signing out here ends the session of the account shown above.</p>` : ""}
${name ? html`<p>Requested by <strong id="client-name">${name}</strong>.</p>` : ""}
<form method="post" action="/session/end/confirm">
<input type="hidden" name="csrf" value="${csrf}">
${req.client ? html`<input type="hidden" name="client_id" value="${req.client.client_id}">` : ""}
${req.postLogoutRedirectUri ? html`<input type="hidden" name="post_logout_redirect_uri" value="${req.postLogoutRedirectUri}">` : ""}
${req.state !== undefined ? html`<input type="hidden" name="state" value="${req.state}">` : ""}
${locales?.length ? html`<input type="hidden" name="ui_locales" value="${locales.join(" ")}">` : ""}
<button type="submit" name="logout" value="yes" id="logout">Sign out</button><button type="submit" name="logout" value="no" id="stay">Stay signed in</button>
${req.signedInAs ? html`<p><button type="submit" name="logout" value="everywhere" id="logout-everywhere">Sign out everywhere</button> ends every session of this account, on every device, and signs it out of every application.</p>` : ""}
</form>`,
    { formTargets: req.postLogoutRedirectUri ? [cspSourceFor(req.postLogoutRedirectUri)] : [], lang: locales?.[0] },
  );
}

/**
 * The end of a logout. With front-channel clients (OIDC Front-Channel Logout §3): their logout
 * URIs in hidden iframes, the CSP allowing exactly those origins as frame sources, and a script
 * that goes on to `next` (the post_logout_redirect_uri with its state) once every iframe has
 * loaded or `waitMs` have passed, whichever is first. Without script the user follows the link.
 */
export function signedOutPage(opts: { frames: string[]; next?: string; waitMs: number; lang?: string; cookies: string[] }): Promise<Response> {
  const nonce = randomToken(16);
  const origins = [...new Set(opts.frames.map(cspSourceFor))];
  const body = html`<h1>You are signed out</h1>
${opts.next ? html`<p id="continuing">Returning to the application…</p><p><a id="continue" href="${opts.next}">Continue</a></p>` : html`<p id="signed-out">You can close this window.</p>`}
<div id="frontchannel" data-wait="${String(opts.waitMs)}" data-next="${opts.next ?? ""}">${opts.frames.map(
    (src) => html`<iframe hidden src="${src}" title="Signing out of an application" data-logout></iframe>`,
  )}</div>
${opts.frames.length && opts.next ? html`<script nonce="${nonce}">${raw(CONTINUE_SCRIPT)}</script>` : ""}`;
  return page("Signed out", body, { lang: opts.lang, scriptNonce: nonce, framing: { frameSources: origins } }).then((res) => {
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
export function checkSessionPage(cookieName: string): Promise<Response> {
  const nonce = randomToken(16);
  return page("Session check", html`<script nonce="${nonce}" data-cookie="${cookieName}">${raw(CHECK_SESSION_SCRIPT)}</script>`, {
    scriptNonce: nonce,
    framing: { embeddable: true },
  });
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
