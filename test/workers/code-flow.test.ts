import { describe, expect, it } from "vitest";
import { authorize, Browser, completeFlow, decodeJwt, ISSUER, op, pkcePair, redeemCode, registerClient } from "./helpers";

describe("authorization code flow", () => {
  it("logs in through the forms, consents, and redeems the code once", async () => {
    const { tokens, result, client } = await completeFlow({}, { params: { scope: "openid profile email" } });
    expect(result.seen).toEqual(["login", "consent"]);
    expect(result.redirect!.searchParams.get("iss")).toBe(ISSUER);
    expect(result.redirect!.searchParams.get("state")).toBe(result.params.state);
    const id = decodeJwt(tokens.id_token);
    expect(id).toMatchObject({ iss: ISSUER, aud: client.client_id, nonce: result.params.nonce, acr: expect.any(String), amr: ["pwd"] });
    expect(typeof id.sid).toBe("string");
    expect(typeof id.auth_time).toBe("number");
    const userinfo = await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub: id.sub, email: "alice@example.com", email_verified: true, name: "Alice Adams" });
  });

  it("the consent form answers with the code; if the session ended meanwhile, it asks for a login again", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { challenge } = await pkcePair();
    const start = await browser.fetch(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid", code_challenge: challenge, code_challenge_method: "S256" })}`,
    );
    const interaction = new URL(start.headers.get("location")!);
    const login = await (await browser.fetch(interaction)).text();
    await browser.submit(login, "/login", { username: "alice", password: "alice-password", action: "login" });
    const consent = await (await browser.fetch(interaction)).text();
    browser.cookies.delete("op_session"); // the session is gone before the user approves
    const approved = await browser.submit(consent, "/consent", { decision: "approve" });
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get("location")!, ISSUER).pathname).toBe(interaction.pathname);
    const again = await (await browser.fetch(approved.headers.get("location")!)).text();
    expect(again).toContain(`${interaction.pathname}/login`);
    // An approval without a session granted nothing: after the login, consent is asked again.
    await browser.submit(again, "/login", { username: "alice", password: "alice-password", action: "login" });
    const consentAgain = await (await browser.fetch(interaction)).text();
    expect(consentAgain).toContain(`${interaction.pathname}/consent`);
    const issued = await browser.submit(consentAgain, "/consent", { decision: "approve" });
    expect(new URL(issued.headers.get("location")!).searchParams.get("code")).toBeTruthy();
  });

  it("refuses a replayed code and revokes what it issued", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const r = await authorize(browser, client);
    const code = r.redirect!.searchParams.get("code")!;
    const first = await redeemCode(client, code, r.verifier);
    expect(first.status).toBe(200);
    const { access_token } = await first.json<{ access_token: string }>();
    const second = await redeemCode(client, code, r.verifier);
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: "invalid_grant" });
    const userinfo = await op("/userinfo", { headers: { authorization: `Bearer ${access_token}` } });
    expect(userinfo.status).toBe(401);
    expect(userinfo.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
