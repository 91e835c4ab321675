import { getConfig, type OAuthError, randomToken } from "@op/core";
import { NO_STORE } from "@op/http";
import type { Env } from "@op/storage";
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { type Locale, t, text } from "./ui/i18n";

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

/**
 * One design for every page (WCAG 2.2 AA): system fonts, a card that fills a phone and sits
 * centred on a desktop, visible focus, 44px targets, text contrast ≥ 4.5:1 (the operator's
 * primary colour is checked against white when the configuration is read), errors announced
 * (role=alert) and tied to their fields.
 */
const STYLE = (primary: string) => `:root{--primary:${primary};--text:#1f2328;--muted:#57606a;--line:#6e7781;--error:#b3261e;--bg:#f3f5f8}
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{margin:0;min-height:100vh;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.shell{max-width:28rem;margin:0 auto;padding:2rem 1rem}
.brand{display:flex;align-items:center;gap:.5rem;margin:0 0 1rem;font-weight:600}.brand img{max-height:32px;max-width:160px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:12px;padding:1.75rem 1.5rem;box-shadow:0 1px 3px rgba(31,35,40,.08)}
@media (max-width:30rem){.shell{padding:0}.brand{padding:1rem 1rem 0}.card{border:0;border-radius:0;box-shadow:none;min-height:calc(100vh - 3.5rem)}}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .75rem}p{margin:.5rem 0}
.client{display:flex;align-items:center;margin:0 0 1rem}.client img{width:48px;height:48px;object-fit:contain;margin-inline-end:.75rem;border-radius:8px}
.client-name{font-weight:600;overflow-wrap:anywhere}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=text],input[type=password],input[type=email]{display:block;width:100%;min-height:44px;padding:.5rem .75rem;font:inherit;color:inherit;background:#fff;border:1px solid var(--line);border-radius:6px}
input[aria-invalid=true]{border-color:var(--error)}
.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin-top:1.5rem}
button{min-height:44px;padding:.5rem 1.25rem;font:inherit;font-weight:600;border-radius:6px;cursor:pointer;border:1px solid var(--primary)}
button.primary{background:var(--primary);color:#fff;flex:1 1 8rem}button.secondary{background:#fff;color:var(--primary);flex:1 1 8rem}
a{color:var(--primary)}
:focus-visible{outline:3px solid var(--primary);outline-offset:2px}input:focus-visible{outline-offset:0}
.error{color:var(--error);font-weight:600}.note{color:var(--muted);font-size:.9rem}
ul.list{padding-inline-start:1.25rem;margin:.5rem 0}ul.list li{margin:.25rem 0}
.code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-weight:700;letter-spacing:.05em}
details{margin-top:1rem;color:var(--muted);font-size:.9rem}
pre.mail-text{white-space:pre-wrap;overflow-wrap:anywhere}
footer{margin-top:1.5rem;font-size:.9rem;display:flex;gap:1rem;flex-wrap:wrap}`;

/** A client logo that fails to load leaves no gap: removed once it errors (a nonce-allowed script). */
const LOGO_SCRIPT = `for(const i of document.querySelectorAll("img[data-logo]")){const gone=()=>i.remove();if(i.complete&&!i.naturalWidth)gone();else i.addEventListener("error",gone)}`;

export interface PageOptions {
  env: Env;
  locale: Locale;
  title: string;
  status?: number;
  formTargets?: string[];
  headers?: Record<string, string>;
  /** What the page frames (front-channel logout iframes) and whether it may be framed. */
  framing?: Framing;
  /** The nonce of the page's own scripts in `body`, when it has any; the page's CSP allows it (one is made otherwise). */
  nonce?: string;
}

/** Every page: the operator's brand and layout (BRAND_TEMPLATE, docs/pages.md) around the content. */
export async function page(opts: PageOptions, body: Html): Promise<Response> {
  const brand = getConfig(opts.env).brand;
  const nonce = opts.nonce ?? randomToken(16);
  const style = `${STYLE(brand.primaryColor)}${brand.css ? `\n${brand.css}` : ""}`;
  const head = html`<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${opts.title} – ${brand.name}</title><style>${raw(style)}</style>`;
  const header = html`<header class="brand">${brand.logoUri ? html`<img src="${brand.logoUri}" alt="${brand.name}">` : html`<span>${brand.name}</span>`}</header>`;
  const content = html`${body}<script nonce="${nonce}">${raw(LOGO_SCRIPT)}</script>`;
  const doc = brand.template
    ? fill(brand.template, {
        lang: opts.locale,
        title: String(await html`${opts.title}`),
        head: String(await head),
        brand: String(await header),
        content: String(await content),
      })
    : String(
        await html`<!doctype html>
<html lang="${opts.locale}"><head>${head}</head>
<body><div class="shell">${header}<main class="card">${content}</main></div></body></html>`,
      );
  return new Response(doc, { status: opts.status ?? 200, headers: { ...pageHeaders(opts.formTargets, nonce, opts.framing), ...opts.headers } });
}

/** The operator's template with its {{slots}} filled (the values are already HTML). */
const fill = (template: string, slots: Record<string, string>) => template.replace(/\{\{(\w+)\}\}/g, (m, name: string) => slots[name] ?? m);

/** 303 (RFC 9700 §4.12: never 307 after a form post) to a page of this OP, never cached. */
export function seeOther(location: string, cookies: string | string[] = []): Response {
  const headers = new Headers({ Location: location, "Cache-Control": "no-store" });
  for (const cookie of typeof cookies === "string" ? [cookies] : cookies) headers.append("Set-Cookie", cookie);
  return new Response(null, { status: 303, headers });
}

/** The error page: every error of a browser route that is not (or cannot be) sent to the client. */
export function errorPage(err: OAuthError, env: Env, locale: Locale): Promise<Response> {
  return page(
    {
      env,
      locale,
      title: text(locale, "error.title"),
      status: err.status >= 400 && err.status < 500 ? err.status : 400,
      headers: err.headers as Record<string, string>,
    },
    html`<h1>${t(locale, "error.heading")}</h1><p>${t(locale, "error.detail")}</p>
<details open><summary>${t(locale, "error.code")}: <span id="error">${err.error}</span></summary><p id="error_description">${err.description}</p></details>`,
  );
}
