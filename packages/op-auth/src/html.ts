import type { OAuthError } from "@op/core";
import { NO_STORE } from "@op/http";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

export { html, raw };
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * Headers for every HTML page. form-action lists the client's redirect origin because
 * browsers apply it to the redirects that follow a form submission (CSP3 §6.3.1).
 */
export function pageHeaders(formTargets: string[] = [], scriptNonce?: string, framing: Framing = {}): Record<string, string> {
  const formAction = ["'self'", ...formTargets].join(" ");
  const script = scriptNonce ? `; script-src 'nonce-${scriptNonce}'` : "";
  // Only the origins the page itself loads in frames (front-channel logout), never more.
  const frames = framing.frameSources?.length ? `; frame-src ${framing.frameSources.join(" ")}` : "";
  const ancestors = framing.embeddable ? "*" : "'none'";
  return {
    "Content-Type": "text/html;charset=UTF-8",
    ...NO_STORE,
    "Content-Security-Policy": `default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; form-action ${formAction}; frame-ancestors ${ancestors}; base-uri 'none'${script}${frames}`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    ...(framing.embeddable ? {} : { "X-Frame-Options": "DENY" }),
  };
}

/** What a page frames and who may frame it: only check_session_iframe is embeddable (OIDC Session Management §3.3). */
export interface Framing {
  frameSources?: string[];
  embeddable?: boolean;
}

/** The CSP source that allows navigation to a redirect URI (origin, or scheme for private-use schemes). */
export function cspSourceFor(uri: string): string {
  try {
    const url = new URL(uri);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : url.protocol;
  } catch {
    return "'none'";
  }
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}
button{padding:.5rem 1rem;margin:1rem .5rem 0 0}.error{color:#b00020}.client{display:flex;gap:.8rem;align-items:center}
.client img{max-height:48px;max-width:96px}ul{padding-left:1.2rem}footer{margin-top:2rem;font-size:.85rem}`;

export async function page(
  title: string,
  body: Html,
  opts: { status?: number; formTargets?: string[]; headers?: Record<string, string>; lang?: string; scriptNonce?: string; framing?: Framing } = {},
): Promise<Response> {
  const doc = html`<!doctype html>
<html lang="${opts.lang ?? "en"}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><style>${raw(STYLE)}</style></head>
<body><main>${body}</main></body></html>`;
  return new Response(String(await doc), {
    status: opts.status ?? 200,
    headers: { ...pageHeaders(opts.formTargets, opts.scriptNonce, opts.framing), ...opts.headers },
  });
}

/** 303 (RFC 9700 §4.12: never 307 after a form post) to a page of this OP, never cached. */
export function seeOther(location: string, cookies: string | string[] = []): Response {
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  for (const cookie of typeof cookies === "string" ? [cookies] : cookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** The error page: every error of a browser route that is not (or cannot be) sent to the client. */
export function errorPage(err: OAuthError): Promise<Response> {
  return page("Error", html`<h1>Request refused</h1><p class="error" id="error">${err.error}</p><p id="error_description">${err.description}</p>`, {
    status: err.status >= 400 && err.status < 500 ? err.status : 400,
  });
}
