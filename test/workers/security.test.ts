import { describe, expect, it } from "vitest";
import { Browser, basicAuth, op, registerClient } from "./helpers";

/** Browser-facing defences (RFC 9700 §4) that no other test file pins down. */
describe("browser-facing defences", () => {
  it("login and consent pages: CSP with frame-ancestors, nosniff, no referrer, no caching", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const start = await browser.fetch(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid", code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", code_challenge_method: "S256" })}`,
    );
    expect(start.headers.get("cache-control")).toBe("no-store");
    const login = await browser.fetch(start.headers.get("location")!);
    const loginHtml = await login.text();
    const consent = await browser.fetch(
      (await browser.submit(loginHtml, "/login", { username: "alice", password: "alice-password", action: "login" })).headers.get("location")!,
    );
    for (const page of [login, consent]) {
      expect(page.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
      // form-action allows the client's redirect origin: browsers apply it to the redirect after the POST.
      expect(page.headers.get("content-security-policy")).toContain("form-action 'self' https://rp.example.com");
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      expect(page.headers.get("referrer-policy")).toBe("no-referrer");
      expect(page.headers.get("cache-control")).toBe("no-store");
    }
    // The consent form's answer is the authorization response itself.
    const toClient = await browser.submit(await consent.text(), "/consent", { decision: "approve" });
    expect(toClient.status).toBe(303); // RFC 9700 §4.12: never 307 after a form post
    expect(toClient.headers.get("location")).toMatch(/^https:\/\/rp\.example\.com\/cb\?code=/);
    expect(toClient.headers.get("cache-control")).toBe("no-store");
    expect(toClient.headers.get("referrer-policy")).toBe("no-referrer");
  });

  it("refuses a code_verifier when the request had no code_challenge (PKCE downgrade, RFC 9700 §4.8)", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const start = await browser.fetch(`/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid" })}`);
    const login = await (await browser.fetch(start.headers.get("location")!)).text();
    const consent = await (
      await browser.fetch((await browser.submit(login, "/login", { username: "alice", password: "alice-password", action: "login" })).headers.get("location")!)
    ).text();
    const toClient = await browser.submit(consent, "/consent", { decision: "approve" });
    const code = new URL(toClient.headers.get("location")!).searchParams.get("code")!;
    const res = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: "a".repeat(43) }),
    });
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("never answers the resource-owner password grant (RFC 9700 §2.4)", async () => {
    const client = await registerClient();
    const res = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams({ grant_type: "password", username: "alice", password: "alice-password" }),
    });
    expect(await res.json()).toMatchObject({ error: "unsupported_grant_type" });
  });
});
