import { type Client, PATHS } from "@op/core";
import type { Env } from "@op/storage";
import { type Html, html, page } from "../html";
import type { LoginRefusal } from "../interaction/authenticate";
import { clientFooter, clientHeader, clientName, credentialFields, scopeText } from "../interaction/pages";
import { type Locale, t, text } from "../ui/i18n";

/** The pages of the device verification (RFC 8628 §3.3): code entry, login, consent, done. */

/** What every device page needs: the brand's configuration and the person's language. */
export interface DevicePageContext {
  env: Env;
  locale: Locale;
  csrf: string;
}

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;
const codeField = (userCode: string) => html`<input type="hidden" name="user_code" value="${userCode}">`;
const code = (userCode: string) => html`<span class="code" id="user-code">${userCode}</span>`;

/** RFC 8628 §3.3: the form where the user types the code the device shows; prefilled from ?user_code=. */
export function renderUserCodeForm(
  p: DevicePageContext,
  opts: { userCode?: string; error?: Html; status?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  const invalid = opts.error ? html` aria-describedby="device-error" aria-invalid="true"` : "";
  return page(
    { env: p.env, locale: p.locale, title: text(p.locale, "device.code.title"), status: opts.status ?? (opts.error ? 400 : 200), headers: opts.headers },
    html`<h1>${t(p.locale, "device.code.title")}</h1><p>${t(p.locale, "device.code.intro")}</p>
${opts.error ? html`<p class="error" id="device-error" role="alert">${opts.error}</p>` : ""}
<form method="post" action="${PATHS.deviceVerification}">${csrfField(p.csrf)}
<label for="user_code">${t(p.locale, "device.code.label")}</label><input type="text" id="user_code" name="user_code" required autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" placeholder="XXXX-XXXX" value="${opts.userCode ?? ""}"${invalid} autofocus>
<div class="actions"><button class="primary" type="submit" id="continue">${t(p.locale, "common.continue")}</button></div>
</form>`,
  );
}

/** The shared password login, for the device's request. */
export function renderDeviceLogin(
  p: DevicePageContext,
  client: Client,
  userCode: string,
  opts: { refusal?: LoginRefusal; username?: string } = {},
): Promise<Response> {
  return page(
    { env: p.env, locale: p.locale, title: text(p.locale, "login.title"), status: opts.refusal?.status ?? 200, headers: opts.refusal?.headers },
    html`<h1>${t(p.locale, "login.heading")}</h1>${clientHeader(client, undefined, { name: true })}<p>${t(p.locale, "device.login.to", { code: code(userCode) })}</p>
<form method="post" action="${PATHS.deviceVerification}/login">${csrfField(p.csrf)}${codeField(userCode)}
${credentialFields(p.locale, opts)}
<div class="actions"><button class="primary" type="submit" name="action" value="login">${t(p.locale, "common.signIn")}</button><button class="secondary" type="submit" name="action" value="cancel" formnovalidate>${t(p.locale, "common.cancel")}</button></div>
</form>${clientFooter(client, p.locale, undefined)}`,
  );
}

/** RFC 8628 §5.4: the page names the client and the code, and asks the user to approve only their own device. */
export function renderDeviceConsent(
  p: DevicePageContext,
  client: Client,
  userCode: string,
  request: { scopes: string[]; resources: string[] },
): Promise<Response> {
  return page(
    { env: p.env, locale: p.locale, title: text(p.locale, "device.consent.title") },
    html`${clientHeader(client, undefined, { name: false })}<h1>${t(p.locale, "device.consent.title")}</h1>
<p>${t(p.locale, "device.consent.heading", { client: html`<strong id="client-name">${clientName(client)}</strong>`, code: code(userCode) })}</p>
<ul class="list" id="scopes">${request.scopes.length ? request.scopes.map((s) => html`<li data-scope="${s}">${scopeText(p.locale, s)}</li>`) : html`<li>${t(p.locale, "device.consent.any")}</li>`}</ul>
${request.resources.length ? html`<p>${t(p.locale, "consent.resources")}</p><ul class="list" id="resources">${request.resources.map((r) => html`<li>${r}</li>`)}</ul>` : ""}
<p><strong>${t(p.locale, "device.consent.warning")}</strong></p>
<form method="post" action="${PATHS.deviceVerification}/consent">${csrfField(p.csrf)}${codeField(userCode)}
<div class="actions"><button class="primary" type="submit" name="decision" value="approve" id="approve">${t(p.locale, "consent.allow")}</button><button class="secondary" type="submit" name="decision" value="deny" id="deny">${t(p.locale, "consent.deny")}</button></div>
</form>${clientFooter(client, p.locale, undefined)}`,
  );
}

export function renderDeviceDone(p: Omit<DevicePageContext, "csrf">, approved: boolean): Promise<Response> {
  const [title, body, result] = approved
    ? (["device.done.approvedTitle", "device.done.approved", "approved"] as const)
    : (["device.done.deniedTitle", "device.done.denied", "denied"] as const);
  return page(
    { env: p.env, locale: p.locale, title: text(p.locale, title) },
    html`<h1>${t(p.locale, title)}</h1><p id="device-done" data-result="${result}">${t(p.locale, body)}</p>`,
  );
}
