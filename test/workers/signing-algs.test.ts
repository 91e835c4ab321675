import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { completeFlow, ISSUER, op } from "./helpers";

const jwks = async () => createLocalJWKSet(await (await op("/jwks")).json());

describe("ID token and userinfo signing per client (OIDC DCR §2)", () => {
  it("id_token_signed_response_alg none gives an unsecured ID token from the token endpoint, without hash claims", async () => {
    const { tokens, result } = await completeFlow({ id_token_signed_response_alg: "none" });
    const [header, payload, signature] = tokens.id_token.split(".");
    expect(JSON.parse(atob(header!))).toEqual({ alg: "none" });
    expect(signature).toBe("");
    const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims).toMatchObject({ iss: ISSUER, nonce: result.params.nonce });
    expect(claims.at_hash).toBeUndefined();
  });

  it("none is refused for clients whose ID tokens would travel through the browser", async () => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        redirect_uris: ["https://rp.example.com/cb"],
        response_types: ["code id_token"],
        grant_types: ["authorization_code", "implicit"],
        id_token_signed_response_alg: "none",
      }),
    });
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });

  it("userinfo_signed_response_alg returns userinfo as a signed JWT with iss and aud", async () => {
    for (const alg of ["RS256", "ES256"]) {
      const { tokens, client } = await completeFlow({ userinfo_signed_response_alg: alg }, { params: { scope: "openid email" } });
      const res = await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(res.headers.get("content-type")).toBe("application/jwt");
      const { payload, protectedHeader } = await jwtVerify(await res.text(), await jwks(), { issuer: ISSUER, audience: client.client_id });
      expect(protectedHeader.alg).toBe(alg);
      expect(payload).toMatchObject({ email: "alice@example.com", sub: expect.any(String) });
    }
  });
});
