import { describe, expect, it } from "vitest";
import { Browser, authorize, completeFlow, decodeJwt, ISSUER, op, redeemCode, registerClient } from "./helpers";

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
