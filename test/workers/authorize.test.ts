import { beforeAll, describe, expect, it } from "vitest";
import { authorize, Browser, completeFlow, decodeJwt, ISSUER, op, pkcePair, type RegisteredClient, redeemCode, registerClient } from "./helpers";

let client: RegisteredClient;
beforeAll(async () => {
  client = await registerClient({ redirect_uris: ["https://rp.example.com/cb", "https://rp.example.com/other"] });
});

const authz = async (params: Record<string, string>, browser = new Browser()) => {
  const { challenge } = await pkcePair();
  return browser.fetch(
    `/authorize?${new URLSearchParams({ client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, response_type: "code", scope: "openid", state: "s1", code_challenge: challenge, code_challenge_method: "S256", ...params })}`,
  );
};
const errorRedirect = (res: Response) => {
  expect(res.status).toBe(303);
  const url = new URL(res.headers.get("location")!);
  expect(url.origin + url.pathname).toBe("https://rp.example.com/cb");
  // Errors for types naming tokens come back in the fragment (Multiple Response Types §2.1).
  const params = url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
  expect(params.get("iss")).toBe(ISSUER);
  return params;
};

describe("authorization endpoint: untrusted client or redirect_uri gets an error page", () => {
  it.each<[string, Record<string, string>]>([
    ["unknown client", { client_id: "nope" }],
    ["unregistered redirect_uri", { redirect_uri: "https://evil.example/cb" }],
    ["redirect_uri differing only in a query", { redirect_uri: "https://rp.example.com/cb?x=1" }],
    ["missing redirect_uri with several registered", { redirect_uri: "" }],
  ])("%s", async (_name, p) => {
    const browser = new Browser();
    const q = new URLSearchParams({ client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, response_type: "code", scope: "openid", ...p });
    if (p.redirect_uri === "") q.delete("redirect_uri");
    const res = await browser.fetch(`/authorize?${q}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });
});

describe("authorization endpoint: other errors redirect with error, state and iss", () => {
  it.each([
    ["missing response_type", { response_type: "" }, "invalid_request"],
    ["unsupported response_type", { response_type: "token" }, "unsupported_response_type"],
    // RFC 9700 §2.1.2: front-channel access tokens only for a client that registered for them.
    ["a response type issuing an access token, not registered", { response_type: "id_token token", nonce: "n" }, "unauthorized_client"],
    ["a hybrid response type, not registered", { response_type: "code token" }, "unauthorized_client"],
    ["PKCE plain is refused", { code_challenge_method: "plain" }, "invalid_request"],
    ["malformed code_challenge", { code_challenge: "short" }, "invalid_request"],
    ["a request object without alg", { request: "e30.e30." }, "invalid_request_object"],
    ["an unregistered request_uri", { request_uri: "https://rp.example.com/r" }, "invalid_request_uri"],
    ["prompt=none with another value", { prompt: "none login" }, "invalid_request"],
    ["bad max_age", { max_age: "-1" }, "invalid_request"],
    ["claims not JSON", { claims: "{" }, "invalid_request"],
    ["invalid id_token_hint", { id_token_hint: "a.b.c" }, "invalid_request"],
    ["prompt=none without a session", { prompt: "none" }, "login_required"],
  ])("%s", async (_name, params, error) => {
    const p: Record<string, string> = { ...params };
    const res = await authz(p);
    if (p.response_type === "") {
      const q = new URL(
        `${ISSUER}/x?${new URLSearchParams({ client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, scope: "openid", state: "s1" })}`,
      );
      const r2 = await new Browser().fetch(`/authorize${q.search}`);
      const sp = errorRedirect(r2);
      expect(sp.get("error")).toBe(error);
      expect(sp.get("state")).toBe("s1");
      return;
    }
    const sp = errorRedirect(res);
    expect(sp.get("error")).toBe(error);
    expect(sp.get("error_description")).toBeTruthy();
    expect(sp.get("state")).toBe("s1");
  });

  it("a repeated parameter is invalid_request", async () => {
    const res = await new Browser().fetch(
      `/authorize?client_id=${client.client_id}&redirect_uri=${encodeURIComponent(client.redirect_uris[0]!)}&response_type=code&scope=openid&scope=email&state=s1`,
    );
    expect(errorRedirect(res).get("error")).toBe("invalid_request");
  });

  it("a public client must use PKCE", async () => {
    const pub = await registerClient({ token_endpoint_auth_method: "none" });
    const res = await new Browser().fetch(
      `/authorize?${new URLSearchParams({ client_id: pub.client_id, response_type: "code", scope: "openid", state: "s1" })}`,
    );
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location")!).searchParams.get("error")).toBe("invalid_request");
  });

  it("denying consent returns access_denied", async () => {
    const r = await authorize(new Browser(), client, { consent: "deny" });
    expect(r.redirect!.searchParams.get("error")).toBe("access_denied");
    expect(r.redirect!.searchParams.get("iss")).toBe(ISSUER);
  });

  it("a wrong password re-shows the login page without a session", async () => {
    const browser = new Browser();
    const r = await authorize(browser, client, { password: "wrong" });
    expect(r.status).toBe(401);
    expect(r.page).toContain("Invalid username or password");
    expect(browser.hasCookie("op_session")).toBe(false);
  });
});

describe("sessions, prompt and max_age", () => {
  it("remembers consent, honours prompt=none, prompt=login, prompt=consent and max_age", async () => {
    const browser = new Browser();
    const first = await authorize(browser, client, { params: { scope: "openid email" } });
    expect(first.seen).toEqual(["login", "consent"]);
    // Same scopes again: neither login nor consent.
    const again = await authorize(browser, client, { params: { scope: "openid email" } });
    expect(again.seen).toEqual([]);
    expect(again.redirect!.searchParams.get("code")).toBeTruthy();
    // prompt=none while logged in with consent: a code, silently.
    const silent = await authorize(browser, client, { params: { scope: "openid email", prompt: "none" } });
    expect(silent.redirect!.searchParams.get("code")).toBeTruthy();
    // A new scope needs consent; with prompt=none that is consent_required.
    const more = await authorize(browser, client, { params: { scope: "openid email phone", prompt: "none" } });
    expect(more.redirect!.searchParams.get("error")).toBe("consent_required");
    expect((await authorize(browser, client, { params: { scope: "openid email", prompt: "consent" } })).seen).toEqual(["consent"]);
    expect((await authorize(browser, client, { params: { scope: "openid email", prompt: "login" } })).seen).toEqual(["login"]);
    // max_age=0 forces a login; the new auth_time is in the ID token.
    const fresh = await authorize(browser, client, { params: { scope: "openid email", max_age: "0" } });
    expect(fresh.seen).toEqual(["login"]);
    const tokens = await (await redeemCode(client, fresh.redirect!.searchParams.get("code")!, fresh.verifier)).json<{ id_token: string }>();
    const idt = decodeJwt(tokens.id_token);
    expect(Math.abs(idt.auth_time - Date.now() / 1000)).toBeLessThan(30);
    // A long max_age is satisfied by the current session.
    expect((await authorize(browser, client, { params: { scope: "openid email", max_age: "10000" } })).seen).toEqual([]);
  });

  it("sets an HttpOnly SameSite=Lax session cookie and puts sid in the ID token", async () => {
    const browser = new Browser();
    const { challenge } = await pkcePair();
    let res = await browser.fetch(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, redirect_uri: client.redirect_uris[0]!, response_type: "code", scope: "openid", code_challenge: challenge, code_challenge_method: "S256" })}`,
    );
    res = await browser.fetch(res.headers.get("location")!);
    const html = await res.text();
    res = await browser.submit(html, "/login", { username: "alice", password: "alice-password", action: "login" });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("op_session="))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // http issuer in development
  });

  it("id_token_hint for another user forces login; login_hint pre-fills the form", async () => {
    const { tokens } = await completeFlow();
    const browser = new Browser();
    await authorize(browser, client);
    // The hint names alice and the session is alice's: prompt=none succeeds.
    const hinted = await authorize(browser, client, { params: { prompt: "none", id_token_hint: tokens.id_token } });
    // The hint was issued to another client, so it is refused.
    expect(hinted.redirect!.searchParams.get("error")).toBe("invalid_request");
    const own = await authorize(browser, client);
    const ownTokens = await (await redeemCode(client, own.redirect!.searchParams.get("code")!, own.verifier)).json<{ id_token: string }>();
    const ok = await authorize(browser, client, { params: { prompt: "none", id_token_hint: ownTokens.id_token } });
    expect(ok.redirect!.searchParams.get("code")).toBeTruthy();
    const res = await authz({ login_hint: "alice@example.com" });
    const page = await new Browser().fetch(res.headers.get("location")!);
    // The interaction cookie belongs to the first browser, so another browser is refused.
    expect(page.status).toBe(400);
    const b2 = new Browser();
    const r2 = await authz({ login_hint: "alice" }, b2);
    const loginPage = await (await b2.fetch(r2.headers.get("location")!)).text();
    expect(loginPage).toContain('value="alice"');
  });

  it("POST authorization requests work like GET", async () => {
    const browser = new Browser();
    const { challenge } = await pkcePair();
    const res = await browser.fetch("/authorize", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: client.redirect_uris[0]!,
        response_type: "code",
        scope: "openid",
        code_challenge: challenge,
        code_challenge_method: "S256",
      }),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/\/interaction\//);
  });
});

describe("claims", () => {
  it("releases essential claims from the claims parameter into the ID token and userinfo", async () => {
    const claims = JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { name: { essential: true }, phone_number: null } });
    const { tokens } = await completeFlow({}, { params: { scope: "openid", claims } });
    const idt = decodeJwt(tokens.id_token);
    expect(idt.email).toBe("alice@example.com");
    expect(idt.name).toBeUndefined();
    const ui = await (await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).json<Record<string, unknown>>();
    expect(ui).toMatchObject({ name: "Alice Adams", phone_number: expect.any(String) });
    expect(ui.email).toBeUndefined();
  });

  it("scope claims go to userinfo with their JSON types", async () => {
    const { tokens } = await completeFlow({}, { params: { scope: "openid profile email address phone" } });
    const ui = await (await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).json<Record<string, any>>();
    expect(typeof ui.email_verified).toBe("boolean");
    expect(typeof ui.phone_number_verified).toBe("boolean");
    expect(typeof ui.updated_at).toBe("number");
    expect(typeof ui.address).toBe("object");
    expect(ui.address.country).toBe("USA");
  });

  it("a value-restricted sub for another user cannot be satisfied silently", async () => {
    const browser = new Browser();
    await authorize(browser, client);
    const r = await authorize(browser, client, { params: { prompt: "none", claims: JSON.stringify({ id_token: { sub: { value: "someone-else" } } }) } });
    expect(r.redirect!.searchParams.get("error")).toBe("login_required");
  });
});

describe("offline_access", () => {
  it("issues a refresh token only when offline_access was granted", async () => {
    const without = await completeFlow({}, { params: { scope: "openid" } });
    expect(without.tokens.refresh_token).toBeUndefined();
    const withOffline = await completeFlow({}, { params: { scope: "openid offline_access", prompt: "consent" } });
    expect(withOffline.tokens.refresh_token).toBeTruthy();
    const noRefreshGrant = await completeFlow({ grant_types: ["authorization_code"] }, { params: { scope: "openid offline_access" } });
    expect(noRefreshGrant.tokens.refresh_token).toBeUndefined();
    expect(noRefreshGrant.tokens.scope).toBe("openid");
  });
});
