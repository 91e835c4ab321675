import { compactDecrypt, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { completeFlow, ISSUER, op } from "./helpers";

const jwks = async () => createLocalJWKSet(await (await op("/jwks")).json());

describe("encrypted ID tokens and userinfo (OIDC Core §10.2)", () => {
  it("RSA-OAEP: the ID token is a JWE around our signed JWT; userinfo is encrypted JSON", async () => {
    const rsa = await generateKeyPair("RSA-OAEP", { extractable: true });
    const { tokens, client } = await completeFlow(
      {
        jwks: { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "enc-1", use: "enc" }] },
        id_token_encrypted_response_alg: "RSA-OAEP",
        userinfo_encrypted_response_alg: "RSA-OAEP",
        userinfo_encrypted_response_enc: "A256GCM",
      },
      { params: { scope: "openid email" } },
    );
    const { plaintext, protectedHeader } = await compactDecrypt(tokens.id_token, rsa.privateKey);
    expect(protectedHeader).toMatchObject({ alg: "RSA-OAEP", enc: "A128CBC-HS256", cty: "JWT", kid: "enc-1" });
    const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), await jwks(), { issuer: ISSUER, audience: client.client_id });
    expect(payload.sub).toBeTruthy();

    const res = await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(res.headers.get("content-type")).toBe("application/jwt");
    const ui = await compactDecrypt(await res.text(), rsa.privateKey);
    expect(ui.protectedHeader.enc).toBe("A256GCM");
    expect(ui.protectedHeader.cty).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(ui.plaintext))).toMatchObject({ sub: payload.sub, email: "alice@example.com" });
  });

  it("ECDH-ES with signing: userinfo is a nested JWT", async () => {
    const ec = await generateKeyPair("ECDH-ES", { extractable: true });
    const { tokens, client } = await completeFlow(
      {
        jwks: { keys: [{ ...(await exportJWK(ec.publicKey)), use: "enc" }] },
        userinfo_signed_response_alg: "ES256",
        userinfo_encrypted_response_alg: "ECDH-ES",
      },
      { params: { scope: "openid" } },
    );
    const res = await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const { plaintext, protectedHeader } = await compactDecrypt(await res.text(), ec.privateKey);
    expect(protectedHeader).toMatchObject({ alg: "ECDH-ES", cty: "JWT" });
    const { payload } = await jwtVerify(new TextDecoder().decode(plaintext), await jwks(), { issuer: ISSUER, audience: client.client_id });
    expect(payload.sub).toBeTruthy();
  });

  it.each<[string, Record<string, unknown>]>([
    ["enc without alg", { id_token_encrypted_response_enc: "A128GCM" }],
    ["alg without keys", { id_token_encrypted_response_alg: "RSA-OAEP" }],
    ["no key of the right type", { userinfo_encrypted_response_alg: "ECDH-ES", jwks: { keys: [{ kty: "RSA", n: "x", e: "AQAB", use: "enc" }] } }],
  ])("registration refuses %s", async (_n, body) => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], ...body }),
    });
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });
});
