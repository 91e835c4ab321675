import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sessionCookieName, setCookie } from "../../packages/op-auth/src/cookies";
import { completeFlow, op } from "./helpers";

describe("cookies", () => {
  it("are Secure and __Host- prefixed when the issuer is https", () => {
    const https = { ...env, ISSUER: "https://op.example.com" } as never;
    expect(sessionCookieName(https)).toBe("__Host-op_session");
    const cookie = setCookie(https, sessionCookieName(https), "v", { maxAge: 60 });
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).not.toMatch(/Domain=/);
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
