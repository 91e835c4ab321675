import { env } from "cloudflare:workers";
import { userByUsername } from "@op/storage";
import { describe, expect, it } from "vitest";
import { authorize, Browser, codeRequestParams, completeFlow, op, parseForms, redeemCode, registerClient } from "./helpers";

describe("loopback redirect URIs of native clients accept any port (issue #11 point 6, RFC 8252 §7.3)", () => {
  it("a registered http://127.0.0.1:1234/cb matches :5555, and the code is redeemed with that URI; nothing else is relaxed", async () => {
    const client = await registerClient({ application_type: "native", redirect_uris: ["http://127.0.0.1:1234/cb"], token_endpoint_auth_method: "none" });
    const browser = new Browser();
    const r = await authorize(browser, client, { params: { redirect_uri: "http://127.0.0.1:5555/cb" } });
    expect(r.redirect?.origin).toBe("http://127.0.0.1:5555");
    const code = r.redirect!.searchParams.get("code")!;
    const token = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        client_id: client.client_id,
        code,
        redirect_uri: "http://127.0.0.1:5555/cb",
        code_verifier: r.verifier,
      }),
    });
    expect(token.status, await token.clone().text()).toBe(200);
    for (const other of ["http://127.0.0.1:5555/other", "http://localhost:5555/cb", "http://127.0.0.2:5555/cb"]) {
      const refused = await authorize(browser, client, { params: { redirect_uri: other } });
      expect(refused.redirect, other).toBeUndefined();
      expect(refused.status, other).toBe(400);
    }
  });
});

describe("offline_access follows OIDC Core §11 (issue #11 point 8)", () => {
  it("is granted only with a code and prompt=consent, never from a remembered consent", async () => {
    const first = await completeFlow({}, { params: { scope: "openid offline_access", prompt: "consent" } });
    expect(first.tokens.scope).toBe("openid offline_access");
    expect(first.tokens.refresh_token).toBeTruthy();
    // The same user and client again, without prompt=consent: offline_access is dropped, no refresh token.
    const again = await authorize(first.browser, first.client, { params: { scope: "openid offline_access" } });
    expect(again.seen).toEqual([]);
    const tokens = await (await redeemCode(first.client, again.redirect!.searchParams.get("code")!, again.verifier)).json<Record<string, string>>();
    expect(tokens.scope).toBe("openid");
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe("what was done in an interaction is bound to who did it (issue #11 point 8)", () => {
  const ORIGIN = "http://localhost:8787";
  const isPage = (html: string, step: "login" | "consent") => parseForms(html).some((f) => f.action.endsWith(`/${step}`));

  it("a login counts for the session it started, a consent for the user who gave it: another user finishing is asked again", async () => {
    const bob = `bob-${crypto.randomUUID()}`;
    await userByUsername(env, bob).create({ username: bob, password: "bob-password" });
    const client = await registerClient();
    const browser = new Browser();
    const start = async (extra: Record<string, string>) => {
      const { params } = await codeRequestParams(client.redirect_uris[0]!, extra);
      const res = await browser.fetch(`/authorize?${new URLSearchParams({ client_id: client.client_id, ...params })}`);
      return new URL(res.headers.get("location")!).pathname;
    };
    const signIn = async (interaction: string, username: string, password: string) => {
      const page = await (await browser.fetch(interaction)).text();
      expect(isPage(page, "login")).toBe(true);
      return browser.submit(page, "/login", { username, password, action: "login" }, new URL(interaction, ORIGIN));
    };
    // Interaction I: alice signs in (prompt=login) and reaches the consent page.
    const mine = await start({ prompt: "login", scope: "openid email" });
    await signIn(mine, "alice", "alice-password");
    const consentPage = await (await browser.fetch(mine)).text();
    expect(isPage(consentPage, "consent")).toBe(true);
    // In another tab of this browser bob signs in: the session is now his.
    await signIn(await start({ prompt: "login" }), bob, "bob-password");
    // I's consent form is submitted under bob's session: I's login was not his, so I asks for a login again…
    const answered = await browser.submit(consentPage, "/consent", { decision: "approve" }, new URL(mine, ORIGIN));
    expect(answered.status).toBe(303);
    expect(new URL(answered.headers.get("location")!, ORIGIN).pathname).toBe(mine);
    // …and once alice has signed in there again, the consent given under bob's session does not count for her.
    const back = await signIn(mine, "alice", "alice-password");
    expect(new URL(back.headers.get("location")!, ORIGIN).pathname).toBe(mine);
    expect(isPage(await (await browser.fetch(mine)).text(), "consent")).toBe(true);
  });
});
