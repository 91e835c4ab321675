import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { AuthorizationCodeRecord } from "@op/core";
import { grantIdOfCode, grantObject } from "@op/storage";
import { describe, expect, it } from "vitest";
import { authorize, Browser, basicAuth, completeFlow, decodeJwt, op, redeemCode, registerClient } from "./helpers";

const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
  op("/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body) });

async function freshCode(metadata: Record<string, unknown> = {}) {
  const client = await registerClient(metadata);
  const r = await authorize(new Browser(), client);
  return { client, code: r.redirect!.searchParams.get("code")!, verifier: r.verifier };
}

describe("token endpoint: client authentication", () => {
  it("client_secret_post", async () => {
    const { client, code, verifier } = await freshCode({ token_endpoint_auth_method: "client_secret_post" });
    const res = await form({
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirect_uris[0]!,
      code_verifier: verifier,
      client_id: client.client_id,
      client_secret: client.client_secret!,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("pragma")).toBe("no-cache");
    expect(await res.json()).toMatchObject({ token_type: "Bearer", expires_in: expect.any(Number) });
  });

  it("none, for a public client with PKCE", async () => {
    const { client, code, verifier } = await freshCode({ token_endpoint_auth_method: "none" });
    expect(client.client_secret).toBeUndefined();
    const res = await form({
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirect_uris[0]!,
      code_verifier: verifier,
      client_id: client.client_id,
    });
    expect(res.status).toBe(200);
  });

  it("a wrong secret, a missing one, or the wrong method is a 401 invalid_client with a challenge", async () => {
    const { client, code, verifier } = await freshCode();
    const base = { grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: verifier };
    for (const res of [
      await form(base, { authorization: basicAuth(client.client_id, "wrong") }),
      await form({ ...base, client_id: client.client_id }),
      await form({ ...base, client_id: client.client_id, client_secret: client.client_secret! }), // registered for basic
      await form(base, { authorization: "Basic %%%" }),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
      expect(await res.json()).toMatchObject({ error: "invalid_client", error_description: expect.any(String) });
    }
    // The code was not burned by the failed attempts.
    expect((await redeemCode(client, code, verifier)).status).toBe(200);
  });

  it("two authentication methods at once are invalid_request", async () => {
    const { client, code, verifier } = await freshCode();
    const res = await form(
      { grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: verifier, client_secret: client.client_secret! },
      { authorization: basicAuth(client.client_id, client.client_secret!) },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
  });
});

describe("token endpoint: authorization_code checks", () => {
  it.each([
    ["wrong verifier", (_c: { verifier: string }) => ({ code_verifier: "x".repeat(43) }), "invalid_grant"],
    ["missing verifier", () => ({ code_verifier: "" }), "invalid_grant"],
    ["wrong redirect_uri", () => ({ redirect_uri: "https://rp.example.com/other" }), "invalid_grant"],
    ["garbage code", () => ({ code: "abc" }), "invalid_grant"],
    ["missing code", () => ({ code: "" }), "invalid_request"],
  ])("%s", async (_n, mutate, error) => {
    const { client, code, verifier } = await freshCode();
    const body: Record<string, string> = {
      grant_type: "authorization_code",
      code,
      redirect_uri: client.redirect_uris[0]!,
      code_verifier: verifier,
      ...mutate({ verifier }),
    };
    for (const k of Object.keys(body)) if (body[k] === "") delete body[k];
    const res = await form(body, { authorization: basicAuth(client.client_id, client.client_secret!) });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error });
  });

  it("redirect_uri at the token endpoint: required when the authorization request carried it", async () => {
    const { client, code, verifier } = await freshCode();
    const res = await form(
      { grant_type: "authorization_code", code, code_verifier: verifier },
      { authorization: basicAuth(client.client_id, client.client_secret!) },
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: "redirect_uri is required: the authorization request included it" });
  });

  it("redirect_uri at the token endpoint: optional when the authorization request omitted it, and then the code's URI if given", async () => {
    /** A code whose authorization request had no redirect_uri (the single registered one was used). */
    const omitted = async () => {
      const fresh = await freshCode();
      await runInDurableObject(grantObject(env, await grantIdOfCode(fresh.code)), (_i, state) => {
        const record = state.storage.kv.get<AuthorizationCodeRecord>("code")!;
        state.storage.kv.put("code", { ...record, redirectUriSent: false });
      });
      return fresh;
    };
    const redeem = ({ client, code, verifier }: Awaited<ReturnType<typeof omitted>>, redirectUri?: string) =>
      form(
        { grant_type: "authorization_code", code, code_verifier: verifier, ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }) },
        { authorization: basicAuth(client.client_id, client.client_secret!) },
      );
    expect((await redeem(await omitted())).status).toBe(200);
    const same = await omitted();
    expect((await redeem(same, same.client.redirect_uris[0]!)).status).toBe(200);
    const other = await redeem(await omitted(), "https://rp.example.com/other");
    expect(other.status).toBe(400);
    expect(await other.json()).toMatchObject({ error: "invalid_grant", error_description: "redirect_uri does not match the authorization request" });
  });

  it("an expired code is invalid_grant, and codes live at most 60 s", async () => {
    const { client, code, verifier } = await freshCode();
    await runInDurableObject(grantObject(env, await grantIdOfCode(code)), (_i, state) => {
      const record = state.storage.kv.get<AuthorizationCodeRecord>("code")!;
      expect(record.expiresAt - record.issuedAt).toBeLessThanOrEqual(60_000);
      state.storage.kv.put("code", { ...record, expiresAt: Date.now() - 1 });
    });
    const res = await redeemCode(client, code, verifier);
    expect(await res.json()).toMatchObject({ error: "invalid_grant", error_description: "authorization code has expired" });
  });

  it("the code's grant keeps the code's tombstone a day past its expiry, whatever it issues", async () => {
    const { client, code, verifier } = await freshCode();
    expect((await redeemCode(client, code, verifier)).status).toBe(200);
    await runInDurableObject(grantObject(env, await grantIdOfCode(code)), async (_i, state) => {
      const record = state.storage.kv.get<AuthorizationCodeRecord>("code")!;
      expect(await state.storage.getAlarm()).toBeGreaterThanOrEqual(record.expiresAt + 24 * 3600 * 1000);
    });
  });

  it("a refused redemption uses the code up and starts no grant", async () => {
    const { client, code, verifier } = await freshCode();
    const auth = { authorization: basicAuth(client.client_id, client.client_secret!) };
    const refused = await form({ grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: "x".repeat(43) }, auth);
    expect(await refused.json()).toMatchObject({ error: "invalid_grant", error_description: "code_verifier does not match code_challenge" });
    await runInDurableObject(grantObject(env, await grantIdOfCode(code)), (_i, state) => {
      expect(state.storage.kv.get("code-redeemed")).toBeTypeOf("number");
      expect(state.storage.kv.get("grant")).toBeUndefined();
    });
    expect(await (await redeemCode(client, code, verifier)).json()).toMatchObject({
      error: "invalid_grant",
      error_description: "authorization code has already been used",
    });
  });

  it("a code is bound to its client", async () => {
    const { code, verifier, client } = await freshCode();
    const other = await registerClient();
    const res = await form(
      { grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: verifier },
      { authorization: basicAuth(other.client_id, other.client_secret!) },
    );
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
    // The rightful client can still redeem it.
    expect((await redeemCode(client, code, verifier)).status).toBe(200);
  });

  it("grant_type errors", async () => {
    const client = await registerClient({ grant_types: ["authorization_code"] });
    const auth = { authorization: basicAuth(client.client_id, client.client_secret!) };
    expect(await (await form({}, auth)).json()).toMatchObject({ error: "invalid_request" });
    expect(await (await form({ grant_type: "password" }, auth)).json()).toMatchObject({ error: "unsupported_grant_type" });
    expect(await (await form({ grant_type: "refresh_token", refresh_token: "x" }, auth)).json()).toMatchObject({ error: "unauthorized_client" });
  });

  it("wrong content type and method", async () => {
    const res = await op("/token", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
    const get = await op("/token");
    expect(get.status).toBe(405);
  });

  it("the ID token carries the required claims, at_hash and no azp for a single audience", async () => {
    const { tokens, client } = await completeFlow();
    const idt = decodeJwt(tokens.id_token);
    for (const claim of ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "sid", "acr", "amr", "at_hash"]) expect(idt).toHaveProperty(claim);
    expect(idt.azp).toBeUndefined();
    expect(idt.aud).toBe(client.client_id);
    const header = JSON.parse(atob(tokens.id_token.split(".")[0]));
    expect(header.alg).toBe("RS256");
    const at = JSON.parse(atob(tokens.access_token.split(".")[0]));
    expect(at.typ).toBe("at+jwt");
  });

  it("a client registered for ES256 ID tokens gets ES256", async () => {
    const { tokens } = await completeFlow({ id_token_signed_response_alg: "ES256" });
    expect(JSON.parse(atob(tokens.id_token.split(".")[0])).alg).toBe("ES256");
  });
});

describe("refresh_token grant", () => {
  const refresh = (client: { client_id: string; client_secret?: string }, refresh_token: string, extra: Record<string, string> = {}) =>
    form({ grant_type: "refresh_token", refresh_token, ...extra }, { authorization: basicAuth(client.client_id, client.client_secret!) });

  it("rotates, and reuse of a rotated token revokes the whole family", async () => {
    const { client, tokens } = await completeFlow({}, { params: { scope: "openid offline_access", prompt: "consent" } });
    const r1 = await refresh(client, tokens.refresh_token);
    expect(r1.status).toBe(200);
    const t1 = await r1.json<Record<string, string>>();
    expect(t1.refresh_token).not.toBe(tokens.refresh_token);
    expect(decodeJwt(t1.id_token!).nonce).toBeUndefined();
    expect(decodeJwt(t1.id_token!).sub).toBe(decodeJwt(tokens.id_token).sub);
    const reuse = await refresh(client, tokens.refresh_token);
    expect(await reuse.json()).toMatchObject({ error: "invalid_grant" });
    expect(await (await refresh(client, t1.refresh_token!)).json()).toMatchObject({ error: "invalid_grant" });
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${t1.access_token}` } })).status).toBe(401);
  });

  it("can narrow but not widen the scope, and is bound to its client", async () => {
    const { client, tokens } = await completeFlow({}, { params: { scope: "openid email offline_access", prompt: "consent" } });
    const wide = await refresh(client, tokens.refresh_token, { scope: "openid email phone" });
    expect(await wide.json()).toMatchObject({ error: "invalid_scope" });
    const other = await registerClient();
    expect(await (await refresh(other, tokens.refresh_token)).json()).toMatchObject({ error: "invalid_grant" });
    const narrow = await refresh(client, tokens.refresh_token, { scope: "openid" });
    expect(narrow.status).toBe(200);
    expect((await narrow.json<{ scope: string }>()).scope).toBe("openid");
  });
});
