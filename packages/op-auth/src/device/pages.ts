import { type Client, PATHS } from "@op/core";
import { html, page } from "../html";
import { clientFooter, clientHeader, SCOPE_TEXT } from "../interaction/pages";

/** The pages of the device verification (RFC 8628 §3.3): code entry, login, consent, done. */

const csrfField = (csrf: string) => html`<input type="hidden" name="csrf" value="${csrf}">`;
const codeField = (userCode: string) => html`<input type="hidden" name="user_code" value="${userCode}">`;
const errorLine = (error: string | undefined) => (error ? html`<p class="error" id="device-error" role="alert">${error}</p>` : "");

/** RFC 8628 §3.3: the form where the user types the code the device shows; prefilled from ?user_code=. */
export function renderUserCodeForm(
  csrf: string,
  opts: { userCode?: string; error?: string; status?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  return page(
    "Connect a device",
    html`<h1>Connect a device</h1><p>Enter the code shown on your device.</p>${errorLine(opts.error)}
<form method="post" action="${PATHS.deviceVerification}">${csrfField(csrf)}
<label for="user_code">Code</label><input type="text" id="user_code" name="user_code" required autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" placeholder="XXXX-XXXX" value="${opts.userCode ?? ""}" autofocus>
<button type="submit" id="continue">Continue</button>
</form>`,
    { status: opts.status ?? (opts.error ? 400 : 200), headers: opts.headers },
  );
}

export function renderDeviceLogin(
  csrf: string,
  client: Client,
  userCode: string,
  error?: string,
  refusal: { status?: number; headers?: Record<string, string> } = {},
): Promise<Response> {
  return page(
    "Sign in",
    html`<h1>Sign in</h1>${clientHeader(client, undefined)}<p>to connect your device (code <strong id="user-code">${userCode}</strong>).</p>
${error ? html`<p class="error" id="login-error" role="alert">${error}</p>` : ""}
<form method="post" action="${PATHS.deviceVerification}/login">${csrfField(csrf)}${codeField(userCode)}
<label for="username">Username</label><input type="text" id="username" name="username" autocomplete="username" required autofocus>
<label for="password">Password</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" name="action" value="login">Sign in</button><button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>${clientFooter(client, undefined)}`,
    { status: refusal.status ?? (error ? 401 : 200), headers: refusal.headers },
  );
}

/** RFC 8628 §5.4: the page names the client and the code, and asks the user to approve only their own device. */
export function renderDeviceConsent(csrf: string, client: Client, userCode: string, request: { scopes: string[]; resources: string[] }): Promise<Response> {
  return page(
    "Authorize device",
    html`<h1>Authorize a device</h1>${clientHeader(client, undefined)}<p>on the device showing the code <strong id="user-code">${userCode}</strong> wants to:</p>
<ul id="scopes">${request.scopes.length ? request.scopes.map((s) => html`<li data-scope="${s}">${SCOPE_TEXT[s] ?? s}</li>`) : html`<li>Access your account</li>`}</ul>
${request.resources.length ? html`<p>for use at:</p><ul id="resources">${request.resources.map((r) => html`<li>${r}</li>`)}</ul>` : ""}
<p><strong>Only allow this if you started it on your own device and it shows this code.</strong></p>
<form method="post" action="${PATHS.deviceVerification}/consent">${csrfField(csrf)}${codeField(userCode)}
<button type="submit" name="decision" value="approve" id="approve">Allow</button><button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>${clientFooter(client, undefined)}`,
  );
}

export function renderDeviceDone(approved: boolean): Promise<Response> {
  return page(
    approved ? "Device connected" : "Request denied",
    approved
      ? html`<h1>Device connected</h1><p id="device-done" data-result="approved">You can return to your device.</p>`
      : html`<h1>Request denied</h1><p id="device-done" data-result="denied">The device was not given access. You can return to your device.</p>`,
  );
}
