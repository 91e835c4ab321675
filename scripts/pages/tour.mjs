// Every page a person sees on the OP, reached as a person would reach it in a real browser
// (playwright-core), in a given language. Used by the accessibility test (test/e2e/pages.test.ts,
// axe-core on each page) and by the screenshots in docs/pages.md (scripts/pages/screenshots.mjs).
import sparticuz from "@sparticuz/chromium";
import { chromium } from "playwright-core";

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Headless Chromium from npm (no system browser needed), as the conformance runner starts it. */
export async function launchChromium() {
  const args = [...sparticuz.args.filter((a) => a !== "--single-process"), "--disable-background-networking"];
  return chromium.launch({ executablePath: await sparticuz.executablePath(), args, headless: true });
}

async function json(res) {
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status} ${text}`);
  return JSON.parse(text);
}

/** A client with a name, logo and links, as the pages show them; and a device client. */
async function clients(issuer) {
  const register = (body) =>
    fetch(`${issuer}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }).then(json);
  const web = await register({
    redirect_uris: ["http://127.0.0.1/tour/callback"],
    post_logout_redirect_uris: ["http://127.0.0.1/tour/logged-out"],
    grant_types: ["authorization_code", "refresh_token"],
    client_name: "Example Photos",
    logo_uri: "https://logo.invalid/none.png", // a logo that fails to load leaves no gap
    policy_uri: "https://photos.example/privacy",
    tos_uri: "https://photos.example/terms",
  });
  const device = await register({
    grant_types: ["urn:ietf:params:oauth:grant-type:device_code"],
    token_endpoint_auth_method: "none",
    client_name: "Living Room TV",
  });
  return { web, device };
}

const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/**
 * Visits every page in `locale` at `viewport`, calling `visit(name, page)` on each. The browser
 * profile sends `Accept-Language: <locale>`; the authorization request also sends ui_locales.
 */
export async function tour(browser, issuer, { locale, viewport, visit }) {
  const { web, device } = await clients(issuer);
  const context = await browser.newContext({ viewport, locale, extraHTTPHeaders: { "accept-language": locale }, bypassCSP: true });
  try {
    const page = await context.newPage();
    const at = async (name) => visit(name, page);
    const authorize = new URL(`${issuer}/authorize`);
    for (const [k, v] of Object.entries({
      client_id: web.client_id,
      redirect_uri: web.redirect_uris[0],
      response_type: "code",
      scope: "openid profile email offline_access",
      prompt: "consent",
      state: "tour",
      code_challenge: challenge,
      code_challenge_method: "S256",
      ui_locales: locale,
    }))
      authorize.searchParams.set(k, v);

    await page.goto(`${issuer}/authorize?client_id=unknown-client&response_type=code`);
    await at("error");

    await page.goto(authorize.href);
    await at("login");
    await page.fill("#username", "alice");
    await page.fill("#password", "wrong-password");
    await Promise.all([page.waitForLoadState(), page.click('button[value="login"]')]);
    await at("login-refused");
    await page.fill("#password", "alice-password");
    await Promise.all([page.waitForURL(/\/interaction\/[^/]+$/), page.click('button[value="login"]')]);
    await at("consent");

    await page.goto(`${issuer}/session/end?client_id=${encodeURIComponent(web.client_id)}&ui_locales=${locale}`);
    await at("logout-confirm");
    await Promise.all([page.waitForLoadState(), page.click("#logout")]);
    await at("logout-done");

    const started = await fetch(`${issuer}/device_authorization`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_id: device.client_id, scope: "openid profile" }),
    }).then(json);
    await page.goto(`${issuer}/device`);
    await at("device-code");
    await page.fill("#user_code", started.user_code);
    await Promise.all([page.waitForLoadState(), page.click("#continue")]);
    await at("device-login");
    await page.fill("#username", "alice");
    await page.fill("#password", "alice-password");
    await Promise.all([page.waitForLoadState(), page.click('button[value="login"]')]);
    await at("device-consent");
    await Promise.all([page.waitForLoadState(), page.click("#approve")]);
    await at("device-done");
  } finally {
    await context.close();
  }
}

export const PAGES = [
  "error",
  "login",
  "login-refused",
  "consent",
  "logout-confirm",
  "logout-done",
  "device-code",
  "device-login",
  "device-consent",
  "device-done",
];
