import { randomToken } from "@op/core";
import { cspSourceFor, html, pageHeaders, raw } from "../../../html";

/**
 * OAuth 2.0 Form Post Response Mode §2: an HTML form that POSTs the parameters to the redirect
 * URI, submitted by a nonce-allowed script, and by a button when scripts are off.
 */
export async function formPostResponse(redirectUri: string, params: Record<string, string>): Promise<Response> {
  const nonce = randomToken(16);
  const doc = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Continue</title></head>
<body><form method="post" action="${redirectUri}">
${Object.entries(params).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<noscript><p>Continue to the application.</p><button type="submit">Continue</button></noscript>
</form><script nonce="${nonce}">${raw("document.forms[0].submit()")}</script></body></html>`;
  return new Response(String(await doc), { status: 200, headers: pageHeaders([cspSourceFor(redirectUri)], nonce) });
}
