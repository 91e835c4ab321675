import { beforeAll, describe, expect, it } from "vitest";
import { authorize, Browser, b64url, decodeJwt, ISSUER, op, parseForms, type RegisteredClient, redeemCode, registerClient } from "./helpers";

const ALL_TYPES = ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token", "none"];
const halfHash = async (value: string, hash = "SHA-256") => {
  const full = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(value)));
  return b64url(full.slice(0, full.length / 2));
};
const paramsOf = (url: URL) => (url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams);

let client: RegisteredClient;
let browser: Browser;
beforeAll(async () => {
  client = await registerClient({ response_types: ALL_TYPES, grant_types: ["authorization_code", "implicit", "refresh_token"] });
  browser = new Browser();
  await authorize(browser, client, { params: { scope: "openid profile email" } }); // log in and consent once
});

describe("response types (OIDC Core §3, Multiple Response Types)", () => {
  it.each(ALL_TYPES)("%s returns exactly its artifacts, in its default mode, with state and iss", async (type) => {
    const r = await authorize(browser, client, { params: { response_type: type, scope: "openid profile email", state: "st-1" } });
    const url = r.redirect!;
    const tokens = type !== "code" && type !== "none";
    expect(url.hash !== "", "fragment exactly when tokens come back").toBe(tokens);
    const p = paramsOf(url);
    expect(p.get("state")).toBe("st-1");
    expect(p.get("iss")).toBe(ISSUER);
    const words = type.split(" ");
    expect(p.has("code")).toBe(words.includes("code"));
    expect(p.has("access_token")).toBe(words.includes("token"));
    expect(p.has("id_token")).toBe(words.includes("id_token"));
    if (words.includes("token")) {
      expect(p.get("token_type")).toBe("Bearer");
      expect((await op("/userinfo", { headers: { authorization: `Bearer ${p.get("access_token")}` } })).status).toBe(200);
    }
    if (words.includes("id_token")) {
      const idt = decodeJwt(p.get("id_token")!);
      expect(idt.nonce).toBe(r.params.nonce);
      expect(idt.s_hash).toBe(await halfHash("st-1"));
      expect(idt.c_hash).toBe(p.has("code") ? await halfHash(p.get("code")!) : undefined);
      expect(idt.at_hash).toBe(p.has("access_token") ? await halfHash(p.get("access_token")!) : undefined);
      // Scope claims ride in every ID token by default (ID_TOKEN_SCOPE_CLAIMS; id-token-scope-claims.test.ts).
      expect(idt.email).toBe("alice@example.com");
    }
  });

  it("hashes with the alg's own hash: ES256 → SHA-256 halves", async () => {
    const es = await registerClient({
      response_types: ["code id_token token"],
      grant_types: ["authorization_code", "implicit"],
      id_token_signed_response_alg: "ES256",
    });
    const p = paramsOf((await authorize(browser, es, { params: { response_type: "code id_token token", scope: "openid" } })).redirect!);
    const idToken = p.get("id_token")!;
    expect(JSON.parse(atob(idToken.split(".")[0]!)).alg).toBe("ES256");
    expect(decodeJwt(idToken).c_hash).toBe(await halfHash(p.get("code")!));
  });

  it("the token endpoint issues what the response type did not; after `code token` its ID token has no at_hash", async () => {
    for (const type of ["code token", "code id_token"]) {
      const r = await authorize(browser, client, { params: { response_type: type, scope: "openid" } });
      const res = await redeemCode(client, paramsOf(r.redirect!).get("code")!, r.verifier);
      const tokens = await res.json<Record<string, string>>();
      expect(tokens.id_token).toBeTruthy();
      const idt = decodeJwt(tokens.id_token!);
      expect(idt.nonce).toBe(r.params.nonce);
      expect(idt.at_hash).toBe(type === "code token" ? undefined : await halfHash(tokens.access_token!));
    }
  });

  it("a replayed hybrid code revokes the access token the authorization response carried", async () => {
    const r = await authorize(browser, client, { params: { response_type: "code token", scope: "openid" } });
    const p = paramsOf(r.redirect!);
    expect((await redeemCode(client, p.get("code")!, r.verifier)).status).toBe(200);
    expect((await redeemCode(client, p.get("code")!, r.verifier)).status).toBe(400);
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${p.get("access_token")}` } })).status).toBe(401);
  });

  it.each<[string, Record<string, string>, string, "fragment" | "query"]>([
    ["nonce missing for id_token", { response_type: "id_token", nonce: "" }, "invalid_request", "fragment"],
    ["query mode for tokens", { response_type: "id_token token", response_mode: "query" }, "invalid_request", "fragment"],
    ["an unknown response mode", { response_mode: "web_message" }, "unsupported_response_mode", "query"],
    ["a type the client did not register", { response_type: "id_token" }, "unauthorized_client", "fragment"],
  ])("refuses %s, answering in the right mode", async (_n, extra, error, mode) => {
    const target = extra.response_type === "id_token" && error === "unauthorized_client" ? await registerClient() : client;
    const params: Record<string, string> = { ...extra };
    const r = await authorize(browser, target, { params });
    const url = r.redirect!;
    expect(mode === "fragment" ? url.hash !== "" : url.hash === "").toBe(true);
    expect(paramsOf(url).get("error")).toBe(error);
  });

  it("registration needs the implicit grant for token-returning types", async () => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], response_types: ["token id_token"] }),
    });
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
    const ok = await registerClient({ response_types: ["token id_token"], grant_types: ["implicit"] });
    expect(ok.response_types).toEqual(["id_token token"]);
  });

  it("discovery lists every response type and mode", async () => {
    const m = await (await op("/.well-known/openid-configuration")).json<Record<string, string[]>>();
    expect(m.response_types_supported).toEqual(ALL_TYPES);
    expect(m.response_modes_supported).toEqual(["query", "fragment", "form_post", "query.jwt", "fragment.jwt", "form_post.jwt", "jwt"]);
    expect(m.grant_types_supported).toContain("implicit");
  });
});

describe("form_post response mode", () => {
  it("answers with an auto-submitting form to the redirect URI that also works without JavaScript", async () => {
    const r = await authorize(browser, client, { params: { response_type: "code id_token", response_mode: "form_post", state: "fp" } });
    expect(r.status).toBe(200);
    const form = parseForms(r.page!)[0]!;
    expect(form.action).toBe(client.redirect_uris[0]);
    expect(form.method).toBe("post");
    expect(Object.keys(form.hidden).sort()).toEqual(["code", "id_token", "iss", "session_state", "state"]);
    expect(form.hidden.state).toBe("fp");
    expect(r.page).toContain("<noscript>");
    expect(r.page).toMatch(/<script nonce="[A-Za-z0-9_-]+">document\.forms\[0\]\.submit\(\)<\/script>/);
    const res = await browser.fetch(`/authorize?${new URLSearchParams({ ...r.params, response_mode: "form_post", response_type: "code" })}`);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9_-]+'/);
    expect(csp).toContain("form-action 'self' https://rp.example.com");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });

  it("errors come back by form_post too", async () => {
    const r = await authorize(browser, client, { params: { response_type: "id_token", response_mode: "form_post", nonce: "" } });
    expect(parseForms(r.page!)[0]!.hidden.error).toBe("invalid_request");
  });
});
