import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { type DeviceAuthorizationRecord, OAUTH_ERROR_CODES } from "@op/core";
import { parseDeviceCode } from "@op/rules";
import { deviceAuthorizationObject } from "@op/storage";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Browser, basicAuth, decodeJwt, ISSUER, op, parseForms, type RegisteredClient, registerClient } from "./helpers";

/**
 * The device authorization grant (RFC 8628) through the public HTTP surface: the device's
 * requests to /device_authorization and /token, and the user's part on the /device pages with
 * the shared test browser.
 */

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const FORM = "application/x-www-form-urlencoded";
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

// redirect_uris: undefined drops the helper's default: a device client has none.
const deviceClient = (metadata: Record<string, unknown> = {}) =>
  registerClient({ redirect_uris: undefined, grant_types: [DEVICE_GRANT, "refresh_token"], ...metadata });

/** A POST as `client`: Basic for confidential clients, client_id alone for public ones. */
function post(path: string, client: RegisteredClient, params: Record<string, string> | [string, string][]) {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = { "content-type": FORM };
  if (client.client_secret) headers.authorization = basicAuth(client.client_id, client.client_secret);
  else body.set("client_id", client.client_id);
  return op(path, { method: "POST", headers, body });
}

async function begin(client: RegisteredClient, params: Record<string, string> | [string, string][] = { scope: "openid profile offline_access" }) {
  const res = await post("/device_authorization", client, params);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<DeviceAuthorizationResponse>();
}

const poll = (client: RegisteredClient, deviceCode: string, extra: Record<string, string> = {}) =>
  post("/token", client, { grant_type: DEVICE_GRANT, device_code: deviceCode, ...extra });

async function expectError(res: Response, status: number, error: string) {
  expect(res.status, `${res.status} ${await res.clone().text()}`).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(await res.json()).toMatchObject({ error, error_description: expect.any(String) });
}

/** Runs `edit` on the stored record of a device authorization, inside its object. */
function editRecord(deviceCode: string, edit: (r: DeviceAuthorizationRecord) => DeviceAuthorizationRecord) {
  const { userCode } = parseDeviceCode(deviceCode)!;
  return runInDurableObject(deviceAuthorizationObject(env, userCode), (_instance, state) => {
    state.storage.kv.put("record", edit(state.storage.kv.get<DeviceAuthorizationRecord>("record")!));
  });
}

type Page = { status: number; html: string; name: "code" | "login" | "consent" | "done" | "other" };

async function pageOf(res: Response): Promise<Page> {
  const html = await res.text();
  const actions = parseForms(html).map((f) => f.action);
  const name = actions.includes("/device/login")
    ? "login"
    : actions.includes("/device/consent")
      ? "consent"
      : actions.includes("/device")
        ? "code"
        : /id="device-done"/.test(html)
          ? "done"
          : "other";
  return { status: res.status, html, name };
}

/**
 * The user's part as a person does it: open verification_uri_complete, submit the prefilled
 * code, sign in when asked, answer the consent page. Returns every page seen.
 */
async function answer(browser: Browser, started: DeviceAuthorizationResponse, decision: "approve" | "deny", opts: { password?: string } = {}) {
  const pages: Page[] = [];
  let page = await pageOf(await browser.fetch(started.verification_uri_complete));
  pages.push(page);
  expect(page.name).toBe("code");
  expect(page.html).toContain(`value="${started.user_code}"`); // prefilled (RFC 8628 §3.3.1)
  page = await pageOf(await browser.submit(page.html, "/device", { user_code: started.user_code }));
  pages.push(page);
  if (page.name === "login") {
    page = await pageOf(await browser.submit(page.html, "/device/login", { username: "alice", password: opts.password ?? "alice-password", action: "login" }));
    pages.push(page);
  }
  if (page.name === "consent") {
    page = await pageOf(await browser.submit(page.html, "/device/consent", { decision }));
    pages.push(page);
  }
  return { pages, last: page };
}

describe("device authorization grant (RFC 8628)", () => {
  it("runs the whole flow: pending, approval on the HTML pages, tokens once, refresh", async () => {
    const client = await deviceClient({ client_name: "TV app" });
    const res = await post("/device_authorization", client, { scope: "openid profile offline_access unknown-scope" });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const started = await res.json<DeviceAuthorizationResponse>();
    expect(started).toEqual({
      device_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{8}\.[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(USER_CODE),
      verification_uri: `${ISSUER}/device`,
      verification_uri_complete: `${ISSUER}/device?user_code=${started.user_code}`,
      expires_in: 600,
      interval: 5,
    });
    // The device code leads to its object by the user code, without a dash.
    expect(started.device_code.startsWith(started.user_code.replace("-", ""))).toBe(true);

    await expectError(await poll(client, started.device_code), 400, "authorization_pending");

    const browser = new Browser();
    const { pages, last } = await answer(browser, started, "approve");
    expect(pages.map((p) => p.name)).toEqual(["code", "login", "consent", "done"]);
    const consent = pages[2]!.html;
    expect(consent).toContain("TV app");
    expect(consent).toContain(started.user_code);
    expect([...consent.matchAll(/data-scope="([^"]+)"/g)].map((m) => m[1])).toEqual(["openid", "profile", "offline_access"]);
    expect(last.html).toContain("You can return to your device");
    expect(browser.hasCookie("op_session")).toBe(true);

    const tokenRes = await poll(client, started.device_code);
    expect(tokenRes.status, await tokenRes.clone().text()).toBe(200);
    expect(tokenRes.headers.get("cache-control")).toBe("no-store");
    const tokens = await tokenRes.json<Record<string, string>>();
    expect(tokens).toMatchObject({
      token_type: "Bearer",
      scope: "openid profile offline_access",
      refresh_token: expect.any(String),
      id_token: expect.any(String),
    });
    const idToken = decodeJwt(tokens.id_token!);
    expect(idToken).toMatchObject({
      iss: ISSUER,
      aud: client.client_id,
      acr: expect.any(String),
      amr: ["pwd"],
      sid: expect.any(String),
      auth_time: expect.any(Number),
    });
    expect(idToken.nonce).toBeUndefined();
    expect(decodeJwt(tokens.access_token!)).toMatchObject({ sub: idToken.sub, client_id: client.client_id, scope: "openid profile offline_access" });
    const userinfo = await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(await userinfo.json()).toMatchObject({ sub: idToken.sub, name: "Alice Adams" });

    // The approval is redeemed once; the code page no longer knows the code either.
    await expectError(await poll(client, started.device_code), 400, "invalid_grant");
    const again = await pageOf(await browser.submit((await pageOf(await browser.fetch("/device"))).html, "/device", { user_code: started.user_code }));
    expect(again).toMatchObject({ status: 400, name: "code" });
    expect(again.html).toContain('id="device-error"');

    const refreshed = await post("/token", client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token! });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
    expect(await refreshed.json()).toMatchObject({ scope: "openid profile offline_access", refresh_token: expect.any(String), id_token: expect.any(String) });
  });

  it("with a session goes straight to consent; a public client polls with client_id alone", async () => {
    const client = await deviceClient({ token_endpoint_auth_method: "none" });
    expect(client.client_secret).toBeUndefined();
    const browser = new Browser();
    const first = await begin(client);
    expect((await answer(browser, first, "approve")).pages.map((p) => p.name)).toEqual(["code", "login", "consent", "done"]);
    const second = await begin(client, { scope: "openid" });
    expect((await answer(browser, second, "approve")).pages.map((p) => p.name)).toEqual(["code", "consent", "done"]);
    const res = await poll(client, second.device_code);
    expect(res.status).toBe(200);
    const tokens = await res.json<Record<string, string>>();
    expect(tokens.scope).toBe("openid");
    // OIDC Core §11: no offline_access, no refresh token for an OpenID request.
    expect(tokens.refresh_token).toBeUndefined();
  });

  it("a wrong password shows the login form again; the right one continues", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    const browser = new Browser();
    let page = await pageOf(await browser.fetch(started.verification_uri_complete));
    page = await pageOf(await browser.submit(page.html, "/device", { user_code: started.user_code.toLowerCase().replace("-", " ") }));
    expect(page.name).toBe("login");
    page = await pageOf(await browser.submit(page.html, "/device/login", { username: "alice", password: "wrong-password", action: "login" }));
    expect(page).toMatchObject({ status: 401, name: "login" });
    expect(page.html).toContain('id="login-error"');
    // A username that names an Object.prototype member is just an unknown user (no seed lookup through the prototype).
    page = await pageOf(await browser.submit(page.html, "/device/login", { username: "constructor", password: "whatever-password", action: "login" }));
    expect(page).toMatchObject({ status: 401, name: "login" });
    page = await pageOf(await browser.submit(page.html, "/device/login", { username: "alice", password: "alice-password", action: "login" }));
    expect(page.name).toBe("consent");
  });

  it("slow_down when polling faster than the interval, which then grows by 5 s each time (§3.5)", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    await expectError(await poll(client, started.device_code), 400, "authorization_pending");
    await expectError(await poll(client, started.device_code), 400, "slow_down");
    await expectError(await poll(client, started.device_code), 400, "slow_down");
    // The interval is now 15 s: a poll 12 s after the last one is still too soon, one 16 s after is not.
    await editRecord(started.device_code, (r) => ({ ...r, lastPolledAt: Date.now() - 12_000 }));
    await expectError(await poll(client, started.device_code), 400, "slow_down");
    await editRecord(started.device_code, (r) => {
      expect(r.interval).toBe(20);
      return { ...r, lastPolledAt: Date.now() - 21_000 };
    });
    await expectError(await poll(client, started.device_code), 400, "authorization_pending");
  });

  it("access_denied after the user denies; the code cannot be approved afterwards", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    const browser = new Browser();
    const { pages, last } = await answer(browser, started, "deny");
    expect(pages.map((p) => p.name)).toEqual(["code", "login", "consent", "done"]);
    expect(last.html).toContain('data-result="denied"');
    await expectError(await poll(client, started.device_code), 400, "access_denied");
    await expectError(await poll(client, started.device_code), 400, "access_denied");
    const retry = await pageOf(await browser.submit(pages[0]!.html, "/device", { user_code: started.user_code }));
    expect(retry).toMatchObject({ status: 400, name: "code" });
  });

  it("cancelling the login denies the request too", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    const browser = new Browser();
    let page = await pageOf(await browser.fetch(started.verification_uri_complete));
    page = await pageOf(await browser.submit(page.html, "/device", { user_code: started.user_code }));
    page = await pageOf(await browser.submit(page.html, "/device/login", { action: "cancel" }));
    expect(page.name).toBe("done");
    await expectError(await poll(client, started.device_code), 400, "access_denied");
  });

  it("expired_token once the device code has expired; the pages no longer accept its user code", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    const { userCode } = parseDeviceCode(started.device_code)!;
    await runInDurableObject(deviceAuthorizationObject(env, userCode), async (_i, state) => {
      const record = state.storage.kv.get<DeviceAuthorizationRecord>("record")!;
      expect(record.expiresAt - record.createdAt).toBe(600_000);
      expect(record.deviceSecretHash).not.toContain(started.device_code.split(".")[1]); // only a hash is stored
      // Cleanup is by alarm, scheduled past the expiry so that late polls still learn expired_token.
      expect(await state.storage.getAlarm()).toBeGreaterThan(record.expiresAt);
      state.storage.kv.put("record", { ...record, expiresAt: Date.now() - 1 });
    });
    await expectError(await poll(client, started.device_code), 400, "expired_token");
    const browser = new Browser();
    const form = await pageOf(await browser.fetch(started.verification_uri_complete));
    const page = await pageOf(await browser.submit(form.html, "/device", { user_code: started.user_code }));
    expect(page).toMatchObject({ status: 400, name: "code" });
    expect(page.html).toContain("has expired");
  });

  it("a device code presented by another client is invalid_grant and does not count as a poll", async () => {
    const client = await deviceClient();
    const other = await deviceClient();
    const started = await begin(client);
    await expectError(await poll(other, started.device_code), 400, "invalid_grant");
    // Had the other client's poll counted, this one would be slow_down.
    await expectError(await poll(client, started.device_code), 400, "authorization_pending");
    await answer(new Browser(), started, "approve");
    await expectError(await poll(other, started.device_code), 400, "invalid_grant");
    expect((await poll(client, started.device_code)).status).toBe(200);
  });

  it("refuses malformed, unknown and forged device codes", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    const [userCode, secret] = started.device_code.split(".") as [string, string];
    await expectError(await post("/token", client, { grant_type: DEVICE_GRANT }), 400, "invalid_request");
    for (const code of [
      "x",
      `${userCode}.${"A".repeat(43)}`,
      `BBBBBBBB.${secret}`,
      `${userCode.toLowerCase()}.${secret}`,
      `${started.user_code}.${secret}`,
      started.device_code.repeat(3),
    ]) {
      await expectError(await poll(client, code), 400, "invalid_grant");
    }
    await expectError(await poll(client, started.device_code), 400, "authorization_pending");
  });

  it("20 parallel polls after approval give exactly one token response", async () => {
    const client = await deviceClient({ token_endpoint_auth_method: "none" });
    const started = await begin(client);
    await answer(new Browser(), started, "approve");
    const results = await Promise.all(Array.from({ length: 20 }, () => poll(client, started.device_code)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    for (const res of results.filter((r) => r.status === 400)) expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("restricts tokens to the resources of the request (RFC 8707)", async () => {
    const client = await deviceClient();
    const started = await begin(client, [
      ["scope", "profile"],
      ["resource", "https://api.example.com/"],
    ]);
    const consent = (await answer(new Browser(), started, "approve")).pages.find((p) => p.name === "consent")!;
    expect(consent.html).toContain("https://api.example.com/");
    await expectError(await poll(client, started.device_code, { resource: "https://other.example.com/" }), 400, "invalid_target");
    const res = await poll(client, started.device_code);
    const tokens = await res.json<Record<string, string>>();
    expect(decodeJwt(tokens.access_token!).aud).toBe("https://api.example.com/");
    expect(tokens.id_token).toBeUndefined();
  });
});

describe("device authorization endpoint errors", () => {
  it("a client without the device_code grant is unauthorized_client", async () => {
    const web = await registerClient();
    await expectError(await post("/device_authorization", web, { scope: "openid" }), 400, "unauthorized_client");
  });

  it("a wrong secret or an unknown client is a 401 invalid_client with a challenge", async () => {
    const client = await deviceClient();
    for (const res of [
      await op("/device_authorization", {
        method: "POST",
        headers: { "content-type": FORM, authorization: basicAuth(client.client_id, "wrong") },
        body: "scope=openid",
      }),
      await op("/device_authorization", { method: "POST", headers: { "content-type": FORM }, body: "client_id=no-such-client" }),
      await op("/device_authorization", { method: "POST", headers: { "content-type": FORM }, body: `client_id=${client.client_id}` }), // registered for Basic
    ]) {
      await expectError(res.clone(), 401, "invalid_client");
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    }
  });

  it("drops offline_access for clients without refresh_token; refuses bad requests", async () => {
    const client = await deviceClient({ grant_types: [DEVICE_GRANT] });
    const started = await begin(client, { scope: "openid offline_access" });
    await answer(new Browser(), started, "approve");
    const tokens = await (await poll(client, started.device_code)).json<Record<string, string>>();
    expect(tokens.scope).toBe("openid");
    expect(tokens.refresh_token).toBeUndefined();
    await expectError(
      await post("/device_authorization", client, [
        ["scope", "openid"],
        ["scope", "profile"],
      ]),
      400,
      "invalid_request",
    );
    await expectError(await post("/device_authorization", client, [["resource", "relative"]]), 400, "invalid_target");
    await expectError(await post("/device_authorization", client, { scope: "x".repeat(2001) }), 400, "invalid_request");
    await expectError(
      await op("/device_authorization", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }),
      400,
      "invalid_request",
    );
    const get = await op("/device_authorization");
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  it("registration: a device client needs no redirect_uris; discovery names the endpoint", async () => {
    const client = await deviceClient({ token_endpoint_auth_method: "none" });
    expect(client.redirect_uris).toEqual([]);
    expect(client.response_types).toEqual([]);
    expect(client.grant_types).toEqual([DEVICE_GRANT, "refresh_token"]);
    const metadata = await (await op("/.well-known/openid-configuration")).json<Record<string, unknown>>();
    expect(metadata.device_authorization_endpoint).toBe(`${ISSUER}/device_authorization`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
  });
});

describe("device verification pages", () => {
  it("are HTML with the security headers, and every form carries a CSRF token", async () => {
    const browser = new Browser();
    const res = await browser.fetch("/device?user_code=%3Cscript%3E");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).not.toContain("<script>");
    expect(parseForms(html)[0]!.hidden.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(browser.hasCookie("op_device_csrf")).toBe(true);
  });

  it("refuse a form without its CSRF cookie or with another token (403, form shown again)", async () => {
    const client = await deviceClient();
    const started = await begin(client);
    const browser = new Browser();
    const html = await (await browser.fetch(started.verification_uri_complete)).text();
    // Another browser (no cookie) posting the victim's form, as a cross-site request would.
    const forged = await pageOf(await new Browser().submit(html, "/device", { user_code: started.user_code }));
    expect(forged).toMatchObject({ status: 403, name: "code" });
    const wrongToken = await pageOf(await browser.submit(html, "/device", { user_code: started.user_code, csrf: "A".repeat(43) }));
    expect(wrongToken).toMatchObject({ status: 403, name: "code" });
    // The login and consent steps check it as well.
    let page = await pageOf(await browser.submit(html, "/device", { user_code: started.user_code }));
    expect(page.name).toBe("login");
    const forgedLogin = await pageOf(
      await browser.submit(page.html, "/device/login", { username: "alice", password: "alice-password", action: "login", csrf: "A".repeat(43) }),
    );
    expect(forgedLogin).toMatchObject({ status: 403, name: "code" });
    expect(browser.hasCookie("op_session")).toBe(false);
    page = await pageOf(await browser.submit(page.html, "/device/login", { username: "alice", password: "alice-password", action: "login" }));
    expect(page.name).toBe("consent");
    const forgedConsent = await pageOf(await browser.submit(page.html, "/device/consent", { decision: "approve", csrf: "B".repeat(43) }));
    expect(forgedConsent).toMatchObject({ status: 403, name: "code" });
    await expectError(await poll(client, started.device_code), 400, "authorization_pending");
    expect((await pageOf(await browser.submit(page.html, "/device/consent", { decision: "approve" }))).name).toBe("done");
  });

  it("an unknown or malformed code shows the form again with an error", async () => {
    const browser = new Browser();
    const html = await (await browser.fetch("/device")).text();
    for (const userCode of ["BBBB-BBBB", "", "AAAA-AAAA", "💥", "x".repeat(5000)]) {
      const page = await pageOf(await browser.submit(html, "/device", { user_code: userCode }));
      expect(page, userCode.slice(0, 20)).toMatchObject({ status: 400, name: "code" });
      expect(page.html).toContain('id="device-error"');
    }
  });
});

describe("fuzz: device authorization", () => {
  const OAUTH_ERRORS = new Set<string>(OAUTH_ERROR_CODES);
  const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: "binary", maxLength: 20 }), fc.constantFrom("", " ", "%", "\u0000"));

  async function expectWellFormed(res: Response, ctx: string) {
    expect(res.status, ctx).toBeLessThan(500);
    if (res.status < 400) return undefined;
    expect(res.headers.get("content-type") ?? "", ctx).toMatch(/^application\/json/);
    const body = await res.json<Record<string, unknown>>();
    expect(OAUTH_ERRORS.has(body.error as string), ctx).toBe(true);
    expect(typeof body.error_description, ctx).toBe("string");
    return body.error as string;
  }

  it("POST /device_authorization and device_code polls: never 5xx, errors are RFC 6749 §5.2 JSON, only real codes get tokens", async () => {
    const client = await deviceClient();
    const publicClient = await deviceClient({ token_endpoint_auth_method: "none" });
    const approved = await begin(client);
    await answer(new Browser(), approved, "approve");
    const pending = await begin(client);
    const credentials = fc.constantFrom<Record<string, string>>(
      { authorization: basicAuth(client.client_id, client.client_secret!) },
      { authorization: basicAuth(client.client_id, "wrong") },
      { client_id: publicClient.client_id },
      { client_id: client.client_id },
      { authorization: "Basic !!!" },
      {},
    );
    const deviceCode = fc.oneof(
      fc.constantFrom(approved.device_code, pending.device_code, approved.user_code, `${approved.device_code}x`, approved.device_code.toLowerCase()),
      text,
    );
    const caseArb = fc.record({
      endpoint: fc.constantFrom("/device_authorization", "/token"),
      credentials,
      pairs: fc.array(
        fc.oneof(
          fc.tuple(fc.constant("scope"), fc.oneof(fc.constantFrom("openid", "openid profile offline_access", "admin", ""), text)),
          fc.tuple(fc.constant("resource"), fc.oneof(fc.constantFrom("https://api.example.com/", "https://x.example/#f", "relative"), text)),
          fc.tuple(fc.constant("device_code"), deviceCode),
          fc.tuple(fc.constant("grant_type"), fc.oneof(fc.constant(DEVICE_GRANT), text)),
          fc.tuple(text, text),
        ),
        { maxLength: 4 },
      ),
      contentType: fc.constantFrom(FORM, FORM, FORM, "text/plain", "application/json"),
    });
    let tokenResponses = 0;
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const body = new URLSearchParams(
          c.endpoint === "/token"
            ? [
                ["grant_type", DEVICE_GRANT],
                ["device_code", approved.device_code],
              ]
            : [],
        );
        for (const [k, v] of c.pairs) body.append(k, v);
        const headers: Record<string, string> = { "content-type": c.contentType };
        if (c.credentials.authorization) headers.authorization = c.credentials.authorization;
        if (c.credentials.client_id) body.append("client_id", c.credentials.client_id);
        const res = await op(c.endpoint, { method: "POST", headers, body });
        const ctx = `${c.endpoint} ${body} -> ${res.status}`;
        await expectWellFormed(res.clone(), ctx);
        if (res.status === 200 && c.endpoint === "/device_authorization") {
          expect(
            c.credentials.authorization === basicAuth(client.client_id, client.client_secret!) || c.credentials.client_id === publicClient.client_id,
            ctx,
          ).toBe(true);
        }
        if (res.status === 200 && c.endpoint === "/token") {
          tokenResponses++;
          expect(body.getAll("device_code"), ctx).toEqual([approved.device_code]);
          expect(headers.authorization, ctx).toBe(basicAuth(client.client_id, client.client_secret!));
        }
      }),
      { numRuns: 150 },
    );
    expect(tokenResponses).toBeLessThanOrEqual(1);
  }, 120_000);

  it("POST /device, /device/login, /device/consent: never 5xx, always an HTML page", async () => {
    const browser = new Browser();
    const html = await (await browser.fetch("/device")).text();
    const csrf = parseForms(html)[0]!.hidden.csrf!;
    const caseArb = fc.record({
      path: fc.constantFrom("/device", "/device/login", "/device/consent"),
      fields: fc.dictionary(fc.oneof(fc.constantFrom("user_code", "csrf", "username", "password", "decision", "action"), text), text, { maxKeys: 6 }),
      withCsrf: fc.boolean(),
      contentType: fc.constantFrom(FORM, FORM, "text/plain", "multipart/form-data; boundary=x"),
    });
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const body = new URLSearchParams(c.fields);
        if (c.withCsrf) body.set("csrf", csrf);
        const res = await browser.fetch(c.path, { method: "POST", headers: { "content-type": c.contentType }, body });
        expect(res.status, `${c.path} ${body}`).toBeLessThan(500);
        expect(res.headers.get("content-type"), `${c.path} ${body}`).toMatch(/^text\/html/);
        await res.text();
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});
