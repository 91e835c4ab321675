import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { basicAuth, completeFlow, ISSUER, op, type RegisteredClient, registerClient } from "./helpers";

const post = (path: string, client: RegisteredClient, body: Record<string, string>, headers: Record<string, string> = {}) =>
  op(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!), ...headers },
    body: new URLSearchParams(body),
  });
const introspect = (client: RegisteredClient, token: string, headers?: Record<string, string>) => post("/introspect", client, { token }, headers);
const revoke = (client: RegisteredClient, token: string, hint?: string) => post("/revoke", client, { token, ...(hint ? { token_type_hint: hint } : {}) });
const offline = { params: { scope: "openid email offline_access", prompt: "consent" } };

describe("introspection (RFC 7662)", () => {
  it("describes active access and refresh tokens to their client", async () => {
    const { client, tokens } = await completeFlow({}, offline);
    const at = await (await introspect(client, tokens.access_token)).json<Record<string, unknown>>();
    expect(at).toMatchObject({
      active: true,
      client_id: client.client_id,
      scope: "openid email offline_access",
      token_type: "Bearer",
      iss: ISSUER,
      sub: expect.any(String),
      exp: expect.any(Number),
    });
    expect(at).not.toHaveProperty("gid");
    const rt = await (await introspect(client, tokens.refresh_token)).json<Record<string, unknown>>();
    expect(rt).toMatchObject({ active: true, client_id: client.client_id, token_type: "refresh_token", sub: at.sub });
  });

  it("says only active:false for unknown, foreign or garbage tokens", async () => {
    const { tokens } = await completeFlow({}, offline);
    const other = await registerClient();
    for (const token of [tokens.access_token, tokens.refresh_token, "garbage", "a.b.c", tokens.id_token]) {
      const res = await introspect(other, token);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ active: false });
    }
  });

  it("requires client authentication and a token", async () => {
    const client = await registerClient();
    const res = await op("/introspect", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=x" });
    expect(res.status).toBe(401);
    expect(await (await post("/introspect", client, {})).json()).toMatchObject({ error: "invalid_request" });
  });

  it("answers with a signed JWT on Accept: application/token-introspection+jwt (RFC 9701)", async () => {
    const { client, tokens } = await completeFlow();
    const res = await introspect(client, tokens.access_token, { accept: "application/token-introspection+jwt" });
    expect(res.headers.get("content-type")).toBe("application/token-introspection+jwt");
    const jwks = await (await op("/jwks")).json<{ keys: never[] }>();
    const { payload, protectedHeader } = await jwtVerify(await res.text(), createLocalJWKSet(jwks), {
      issuer: ISSUER,
      audience: client.client_id,
      typ: "token-introspection+jwt",
    });
    expect(protectedHeader.alg).toBe("RS256");
    expect(payload.token_introspection).toMatchObject({ active: true, client_id: client.client_id });
  });
});

describe("revocation (RFC 7009)", () => {
  it("revoking an access token rejects it at once at userinfo and introspection, leaving the grant", async () => {
    const { client, tokens } = await completeFlow({}, offline);
    expect((await revoke(client, tokens.access_token)).status).toBe(200);
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    expect(await (await introspect(client, tokens.access_token)).json()).toEqual({ active: false });
    // The refresh token still works: only that access token was revoked.
    expect(await (await introspect(client, tokens.refresh_token)).json()).toMatchObject({ active: true });
  });

  it("revoking a refresh token revokes its family and the access tokens it issued", async () => {
    const { client, tokens } = await completeFlow({}, offline);
    expect((await revoke(client, tokens.refresh_token, "refresh_token")).status).toBe(200);
    expect(await (await introspect(client, tokens.refresh_token)).json()).toEqual({ active: false });
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    const refresh = await post("/token", client, { grant_type: "refresh_token", refresh_token: tokens.refresh_token });
    expect(await refresh.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("another client cannot revoke a token, and unknown tokens get 200 too", async () => {
    const { client, tokens } = await completeFlow({}, offline);
    const other = await registerClient();
    expect((await revoke(other, tokens.access_token)).status).toBe(200);
    expect((await revoke(other, tokens.refresh_token)).status).toBe(200);
    expect((await revoke(other, "nonsense")).status).toBe(200);
    expect(await (await introspect(client, tokens.access_token)).json()).toMatchObject({ active: true });
    expect(await (await introspect(client, tokens.refresh_token)).json()).toMatchObject({ active: true });
  });

  it("refuses an unknown token_type_hint with unsupported_token_type", async () => {
    const client = await registerClient();
    const res = await revoke(client, "x", "id_token");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "unsupported_token_type" });
  });
});
