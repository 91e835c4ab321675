import { describe, expect, it } from "vitest";
import { authorize, Browser, completeFlow, parseForms } from "./helpers";

const metadata = { post_logout_redirect_uris: ["https://rp.example.com/bye"] };

describe("RP-initiated logout", () => {
  it("with id_token_hint and a registered post_logout_redirect_uri, ends the session and redirects with state", async () => {
    const { client, browser, tokens } = await completeFlow(metadata);
    const res = await browser.fetch(
      `/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: "https://rp.example.com/bye", state: "st" })}`,
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("https://rp.example.com/bye?state=st");
    expect(browser.hasCookie("op_session")).toBe(false);
    const after = await authorize(browser, client, { params: { prompt: "none" } });
    expect(after.redirect!.searchParams.get("error")).toBe("login_required");
  });

  it("refuses an unregistered post_logout_redirect_uri with an error page", async () => {
    const { browser, tokens } = await completeFlow(metadata);
    const res = await browser.fetch(
      `/session/end?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: "https://evil.example/bye" })}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });

  it("without a hint asks the user, and the confirmation form ends the session", async () => {
    const { client, browser } = await completeFlow(metadata);
    const res = await browser.fetch(
      `/session/end?${new URLSearchParams({ client_id: client.client_id, post_logout_redirect_uri: "https://rp.example.com/bye", state: "x" })}`,
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    // A forged confirmation without the CSRF cookie is refused.
    const forged = await new Browser().submit(html, "/session/end/confirm", { logout: "yes" });
    expect(forged.status).toBe(400);
    expect(parseForms(html).find((f) => f.action.endsWith("/confirm"))!.hidden.csrf).toBeTruthy();
    const confirmed = await browser.submit(html, "/session/end/confirm", { logout: "yes" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe("https://rp.example.com/bye?state=x");
    const after = await authorize(browser, client, { params: { prompt: "none" } });
    expect(after.redirect!.searchParams.get("error")).toBe("login_required");
  });

  it("with no session shows the signed-out page", async () => {
    const res = await new Browser().fetch("/session/end");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("signed out");
  });
});
