import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import opAuth from "../../packages/op-auth/src/index";
import { Browser, navigate } from "../support/browser";
import { codeRequestParams, completeFlow, op, registerClient } from "./helpers";

describe("cookies (issue #11 point 8: every cookie __Host- on https)", () => {
  // The front Worker itself, run with an https issuer: what the browser is given is what we check.
  const HTTPS = "https://op.example.com";
  const https = { ...env, ISSUER: HTTPS } as never;
  const seen: string[] = [];
  const browser = new Browser(HTTPS, async (request) => {
    const res = await opAuth.fetch(request as never, https, {} as never);
    seen.push(...res.headers.getSetCookie());
    return res;
  });

  function expectHostCookie(cookie: string) {
    expect(cookie).toMatch(/^__Host-op_[a-z_]+=/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).not.toMatch(/Domain=/i);
    if (cookie.startsWith("__Host-op_browser_state=")) {
      // OIDC Session Management §3: read by the check_session_iframe's script inside relying parties' pages.
      expect(cookie).not.toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=None/);
    } else {
      expect(cookie).toMatch(/; HttpOnly/);
      expect(cookie).toMatch(/; SameSite=Lax/);
    }
  }

  it("session, browser state, interaction binding, device and logout CSRF cookies are all __Host-, Secure, Path=/, all but the browser state HttpOnly", async () => {
    const client = await registerClient();
    const { params } = await codeRequestParams(client.redirect_uris[0]!);
    const signedIn = await navigate(browser, `/authorize?${new URLSearchParams({ client_id: client.client_id, ...params })}`);
    expect(signedIn.callback?.searchParams.get("code")).toBeTruthy();
    await browser.fetch("/device");
    const logout = await browser.fetch("/session/end"); // a session and no hint: the confirmation page, with its CSRF cookie
    expect(logout.status).toBe(200);
    const names = new Set(seen.map((c) => c.split("=")[0]));
    expect([...names].sort()).toEqual(["__Host-op_browser", "__Host-op_browser_state", "__Host-op_device_csrf", "__Host-op_logout_csrf", "__Host-op_session"]);
    for (const cookie of seen) expectHostCookie(cookie);
  });
});

describe("client_secret_basic encoding (RFC 6749 §2.3.1)", () => {
  it("form-url-decodes the client id and secret inside the Basic header", async () => {
    const { client, result } = await completeFlow();
    // Redeeming needs a fresh code; we only check that a percent-encoded id and secret authenticate.
    const enc = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");
    const res = await op("/token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${enc(client.client_id)}:${enc(client.client_secret!)}`)}`,
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: result.redirect!.searchParams.get("code")!,
        redirect_uri: client.redirect_uris[0]!,
        code_verifier: result.verifier,
      }),
    });
    // Authenticated (not invalid_client); the code was already redeemed by completeFlow, hence invalid_grant.
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });
});
