import { type Client, getConfig, type InteractionRecord } from "@op/core";
import { SCOPE_CLAIMS } from "@op/rules";
import type { Env } from "@op/storage";
import { consentScope } from "../authorization/prompts/consent";
import { cspSourceFor, type Html, html, page, raw } from "../html";
import { duration, type Locale, t, text } from "../ui/i18n";
import type { MessageKey } from "../ui/messages/en";
import type { LoginRefusal } from "./authenticate";

/** The client's value of a human-readable member for the user's preferred locales (OIDC DCR §2.1 language tags). */
export function localizedClientValue(
  client: Client,
  member: "client_name" | "logo_uri" | "policy_uri" | "tos_uri",
  locales: readonly string[] = [],
): string | undefined {
  for (const tag of locales) {
    const exact = client.localized[`${member}#${tag}`];
    if (exact) return exact;
    const prefix = Object.entries(client.localized).find(([k]) => k.toLowerCase().startsWith(`${member}#${tag.split("-")[0]!.toLowerCase()}`));
    if (prefix) return prefix[1];
  }
  return client[member];
}

export const clientName = (client: Client, locales?: readonly string[]) => localizedClientValue(client, "client_name", locales) ?? client.client_id;

/** The client's logo (a failed one is removed, html.ts), and its name unless the page's text already names it. */
export function clientHeader(client: Client, locales: readonly string[] | undefined, opts: { name: boolean }): Html {
  const logo = localizedClientValue(client, "logo_uri", locales);
  if (!logo && !opts.name) return html``;
  const name = opts.name ? html`<span class="client-name" id="client-name">${clientName(client, locales)}</span>` : "";
  return html`<div class="client">${logo ? html`<img src="${logo}" alt="" data-logo>` : ""}${name}</div>`;
}

export function clientFooter(client: Client, locale: Locale, locales: readonly string[] | undefined): Html {
  const policy = localizedClientValue(client, "policy_uri", locales);
  const tos = localizedClientValue(client, "tos_uri", locales);
  if (!policy && !tos) return html``;
  return html`<footer>${policy ? html`<a id="policy" href="${policy}">${t(locale, "common.privacy")}</a>` : ""}${tos ? html`<a id="tos" href="${tos}">${t(locale, "common.terms")}</a>` : ""}</footer>`;
}

/** A scope as a person reads it; scopes without a text of their own are named. */
export function scopeText(locale: Locale, scope: string) {
  const key = `scope.${scope}` as MessageKey;
  return key in (SCOPE_KEYS as Record<string, true>) ? t(locale, key) : t(locale, "scope.other", { scope });
}
const SCOPE_KEYS = {
  "scope.openid": true,
  "scope.profile": true,
  "scope.email": true,
  "scope.address": true,
  "scope.phone": true,
  "scope.offline_access": true,
};

/** The text of a refused login. */
export const refusalText = (locale: Locale, refusal: Pick<LoginRefusal, "error" | "retryAfter">) =>
  refusal.error === "locked" ? t(locale, "login.locked", { wait: duration(locale, refusal.retryAfter ?? 1) }) : t(locale, "login.invalid");

/** The username and password fields, the refusal announced and tied to them, the name typed kept. */
export function credentialFields(locale: Locale, opts: { username?: string; refusal?: LoginRefusal }): Html {
  const invalid = opts.refusal ? raw(' aria-describedby="login-error" aria-invalid="true"') : "";
  // The cursor goes where typing continues: the password once a username is known.
  const [focusUser, focusPassword] = opts.username ? ["", raw(" autofocus")] : [raw(" autofocus"), ""];
  return html`${opts.refusal ? html`<p class="error" id="login-error" role="alert">${refusalText(locale, opts.refusal)}</p>` : ""}
<label for="username">${t(locale, "login.username")}</label><input type="text" id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${opts.username ?? ""}"${invalid}${focusUser}>
<label for="password">${t(locale, "login.password")}</label><input type="password" id="password" name="password" autocomplete="current-password" required${invalid}${focusPassword}>`;
}

const action = (i: InteractionRecord, step: string) => `/interaction/${i.uid}/${step}`;

/** The login form; after a refusal shown again with its status (401, or 429 with Retry-After) and the username typed. */
export function renderLogin(
  env: Env,
  locale: Locale,
  client: Client,
  i: InteractionRecord,
  opts: { refusal?: LoginRefusal; username?: string } = {},
): Promise<Response> {
  const locales = i.request.uiLocales;
  return page(
    {
      env,
      locale,
      title: text(locale, "login.title"),
      status: opts.refusal?.status ?? 200,
      headers: opts.refusal?.headers,
      formTargets: [cspSourceFor(i.request.redirectUri)],
    },
    html`<h1>${t(locale, "login.heading")}</h1>${clientHeader(client, locales, { name: false })}<p>${t(locale, "login.to", { client: html`<strong id="client-name">${clientName(client, locales)}</strong>` })}</p>
<form method="post" action="${action(i, "login")}">
<input type="hidden" name="csrf" value="${i.csrfToken}">
${credentialFields(locale, { username: opts.username ?? i.request.loginHint, refusal: opts.refusal })}
<div class="actions"><button class="primary" type="submit" name="action" value="login">${t(locale, "common.signIn")}</button><button class="secondary" type="submit" name="action" value="cancel" formnovalidate>${t(locale, "common.cancel")}</button></div>
</form>${clientFooter(client, locale, locales)}`,
  );
}

/** Where the browser goes after the answer, by host, so a person knows which site gets it. */
export const redirectHost = (redirectUri: string) => {
  try {
    const url = new URL(redirectUri);
    return url.host || url.protocol;
  } catch {
    return redirectUri;
  }
};

/**
 * The consent page: the client, what it asks for (scopes, including offline access, and claims),
 * and the host the answer goes to, with a warning for clients the operator has not verified.
 */
export function renderConsent(env: Env, locale: Locale, client: Client, i: InteractionRecord): Promise<Response> {
  const locales = i.request.uiLocales;
  const { scopes, claims } = consentScope(i.request);
  const extraClaims = claims.filter((c) => !scopes.some((s) => (SCOPE_CLAIMS[s] as string[] | undefined)?.includes(c)));
  const host = redirectHost(i.request.redirectUri);
  const brand = getConfig(env).brand.name;
  const strong = (s: string) => html`<strong>${s}</strong>`;
  return page(
    { env, locale, title: text(locale, "consent.title"), formTargets: [cspSourceFor(i.request.redirectUri)] },
    html`${clientHeader(client, locales, { name: false })}<h1>${t(locale, "consent.heading", { client: html`<span id="client-name">${clientName(client, locales)}</span>` })}</h1>
<p>${t(locale, "consent.intro")}</p>
<ul class="list" id="scopes">${scopes.map((s) => html`<li data-scope="${s}">${scopeText(locale, s)}</li>`)}</ul>
${extraClaims.length ? html`<p>${t(locale, "consent.claims")}</p><ul class="list" id="claims">${extraClaims.map((c) => html`<li data-claim="${c}">${c}</li>`)}</ul>` : ""}
${i.request.resources.length ? html`<p>${t(locale, "consent.resources")}</p><ul class="list" id="resources">${i.request.resources.map((r) => html`<li>${r}</li>`)}</ul>` : ""}
<p class="note" id="redirect-host">${t(locale, "consent.unverified", { brand, host: strong(host) })} ${t(locale, "consent.redirect", { host: strong(host) })}</p>
<form method="post" action="${action(i, "consent")}">
<input type="hidden" name="csrf" value="${i.csrfToken}">
<div class="actions"><button class="primary" type="submit" name="decision" value="approve" id="approve">${t(locale, "consent.allow")}</button><button class="secondary" type="submit" name="decision" value="deny" id="deny">${t(locale, "consent.deny")}</button></div>
</form>${clientFooter(client, locale, locales)}`,
  );
}
