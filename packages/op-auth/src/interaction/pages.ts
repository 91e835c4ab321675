import type { Client, InteractionRecord } from "@op/core";
import { SCOPE_CLAIMS } from "@op/rules";
import { consentScope } from "../authorization/prompts/consent";
import { cspSourceFor, type Html, html, page } from "../html";

export const SCOPE_TEXT: Record<string, string> = {
  openid: "Know who you are (your account identifier)",
  profile: "Your basic profile: name, nickname, picture, birthdate, locale",
  email: "Your email address and whether it is verified",
  address: "Your postal address",
  phone: "Your phone number and whether it is verified",
  offline_access: "Keep access while you are not using it (refresh tokens)",
};

/** The client's display name for the user's preferred locales (OIDC DCR §2.1 language tags). */
export function localizedClientValue(
  client: Client,
  member: "client_name" | "logo_uri" | "policy_uri" | "tos_uri",
  locales: string[] = [],
): string | undefined {
  for (const tag of locales) {
    const exact = client.localized[`${member}#${tag}`];
    if (exact) return exact;
    const prefix = Object.entries(client.localized).find(([k]) => k.toLowerCase().startsWith(`${member}#${tag.split("-")[0]!.toLowerCase()}`));
    if (prefix) return prefix[1];
  }
  return client[member];
}

export function clientHeader(client: Client, locales: string[] | undefined): Html {
  const name = localizedClientValue(client, "client_name", locales) ?? client.client_id;
  const logo = localizedClientValue(client, "logo_uri", locales);
  return html`<div class="client">${logo ? html`<img src="${logo}" alt="">` : ""}<strong id="client-name">${name}</strong></div>`;
}

export function clientFooter(client: Client, locales: string[] | undefined): Html {
  const policy = localizedClientValue(client, "policy_uri", locales);
  const tos = localizedClientValue(client, "tos_uri", locales);
  if (!policy && !tos) return html``;
  return html`<footer>${policy ? html`<a id="policy" href="${policy}">Privacy policy</a> ` : ""}${tos ? html`<a id="tos" href="${tos}">Terms of service</a>` : ""}</footer>`;
}

const action = (i: InteractionRecord, step: string) => `/interaction/${i.uid}/${step}`;

/** The login form; with an error, shown again with its status (401, or 429 with Retry-After). */
export function renderLogin(
  client: Client,
  i: InteractionRecord,
  error?: string,
  refusal: { status?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  const locales = i.request.uiLocales;
  return page(
    "Sign in",
    html`<h1>Sign in</h1>${clientHeader(client, locales)}<p>to continue to this application.</p>
${error ? html`<p class="error" id="login-error" role="alert">${error}</p>` : ""}
<form method="post" action="${action(i, "login")}">
<input type="hidden" name="csrf" value="${i.csrfToken}">
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required value="${i.request.loginHint ?? ""}" autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" name="action" value="login">Sign in</button><button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>${clientFooter(client, locales)}`,
    { status: refusal.status ?? (error ? 401 : 200), headers: refusal.headers, formTargets: [cspSourceFor(i.request.redirectUri)], lang: locales?.[0] },
  );
}

export function renderConsent(client: Client, i: InteractionRecord): Promise<Response> {
  const locales = i.request.uiLocales;
  const { scopes, claims } = consentScope(i.request);
  const extraClaims = claims.filter((c) => !scopes.some((s) => (SCOPE_CLAIMS[s] as string[] | undefined)?.includes(c)));
  return page(
    "Authorize access",
    html`<h1>Authorize access</h1>${clientHeader(client, locales)}<p>wants to:</p>
<ul id="scopes">${scopes.map((s) => html`<li data-scope="${s}">${SCOPE_TEXT[s] ?? s}</li>`)}</ul>
${extraClaims.length ? html`<p>and to read these details:</p><ul id="claims">${extraClaims.map((c) => html`<li data-claim="${c}">${c}</li>`)}</ul>` : ""}
<form method="post" action="${action(i, "consent")}">
<input type="hidden" name="csrf" value="${i.csrfToken}">
<button type="submit" name="decision" value="approve" id="approve">Allow</button><button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>${clientFooter(client, locales)}`,
    { formTargets: [cspSourceFor(i.request.redirectUri)], lang: locales?.[0] },
  );
}
