import { beforeAll, describe, expect, it } from "vitest";
import { completeFlow, ISSUER, op } from "./helpers";

let tokens: Record<string, string>;
beforeAll(async () => {
  ({ tokens } = await completeFlow({}, { params: { scope: "openid email" } }));
});

describe("userinfo", () => {
  it("accepts the token in the header (GET and POST) and in a form body (POST)", async () => {
    const viaGet = await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const viaPostHeader = await op("/userinfo", { method: "POST", headers: { authorization: `Bearer ${tokens.access_token}` } });
    const viaBody = await op("/userinfo", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ access_token: tokens.access_token! }),
    });
    for (const res of [viaGet, viaPostHeader, viaBody]) {
      expect(res.status).toBe(200);
      const body = await res.json<Record<string, unknown>>();
      // Only the email scope's claims, plus sub.
      expect(Object.keys(body).sort()).toEqual(["email", "email_verified", "sub"]);
    }
  });

  it("without a token: 401 with a bare Bearer challenge, and a DPoP one with its algs (RFC 9449 §7.1)", async () => {
    const res = await op("/userinfo");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="${ISSUER}", DPoP realm="${ISSUER}", algs="ES256 PS256 EdDSA"`);
    expect(await res.json()).toMatchObject({ error: "invalid_token" });
  });

  it("a bad token: 401 invalid_token in the challenge", async () => {
    for (const token of ["abc", `${tokens.access_token!.slice(0, -4)}AAAA`, tokens.id_token!]) {
      const res = await op("/userinfo", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
      expect(await res.json()).toMatchObject({ error: "invalid_token", error_description: expect.any(String) });
    }
  });

  it("the token sent two ways is invalid_request", async () => {
    const res = await op("/userinfo", {
      method: "POST",
      headers: { authorization: `Bearer ${tokens.access_token}`, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ access_token: tokens.access_token! }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_request"');
  });

  it("a token without the openid scope is insufficient_scope", async () => {
    const { tokens: oauthOnly } = await completeFlow({}, { params: { scope: "email" } });
    expect(oauthOnly.id_token).toBeUndefined();
    const res = await op("/userinfo", { headers: { authorization: `Bearer ${oauthOnly.access_token}` } });
    expect(res.status).toBe(403);
    expect(res.headers.get("www-authenticate")).toContain('error="insufficient_scope"');
  });
});
