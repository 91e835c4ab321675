import { env } from "cloudflare:workers";
import { sessionState } from "@op/rules";
import { keyStore, signingKeyAt, userByUsername } from "@op/storage";
import fc from "fast-check";
import { importJWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { authorize, Browser, completeFlow, decodeJwt, ISSUER, parseForms, redeemCode, registerClient } from "./helpers";

const PLRU = "https://rp.example.com/bye";
const metadata = { post_logout_redirect_uris: [PLRU] };
const endSession = (params: Record<string, string>) => `/session/end?${new URLSearchParams(params)}`;

async function loggedOut(browser: Browser, client: Awaited<ReturnType<typeof registerClient>>) {
  const after = await authorize(browser, client, { params: { prompt: "none" } });
  return after.redirect?.searchParams.get("error") === "login_required";
}

/** A second account, logged in in its own browser with `client`. */
async function otherUser(client: Awaited<ReturnType<typeof registerClient>>) {
  const username = `u${crypto.randomUUID().slice(0, 8)}`;
  await userByUsername(env, username).create({ username, password: "other-password" });
  const browser = new Browser();
  const nav = await authorize(browser, client, { username, password: "other-password" });
  return { username, browser, nav };
}

describe("RP-initiated logout (OIDC RP-Initiated Logout §2-§3)", () => {
  it("with id_token_hint and a registered post_logout_redirect_uri, ends the session and redirects with state", async () => {
    const { client, browser, tokens } = await completeFlow(metadata);
    const res = await browser.fetch(endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: PLRU, state: "st" }));
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PLRU}?state=st`);
    expect(browser.hasCookie("op_session")).toBe(false);
    expect(browser.hasCookie("op_browser_state")).toBe(false);
    expect(await loggedOut(browser, client)).toBe(true);
  });

  it("refuses an unregistered post_logout_redirect_uri, or one with a query added, with an error page", async () => {
    const { client, browser, tokens } = await completeFlow(metadata);
    for (const uri of ["https://evil.example/bye", `${PLRU}?foo=bar`, `${PLRU}/`, "https://RP.example.com/bye"]) {
      const res = await browser.fetch(endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: uri }));
      expect(res.status, uri).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
    expect(await loggedOut(browser, client)).toBe(false);
  });

  it("without a hint asks the user, and the confirmation form ends the session", async () => {
    const { client, browser } = await completeFlow(metadata);
    const res = await browser.fetch(endSession({ client_id: client.client_id, post_logout_redirect_uri: PLRU, state: "x" }));
    expect(res.status).toBe(200);
    const html = await res.text();
    // A forged confirmation without the CSRF cookie is refused.
    const forged = await new Browser().submit(html, "/session/end/confirm", { logout: "yes" });
    expect(forged.status).toBe(400);
    expect(parseForms(html).find((f) => f.action.endsWith("/confirm"))!.hidden.csrf).toBeTruthy();
    const confirmed = await browser.submit(html, "/session/end/confirm", { logout: "yes" });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get("location")).toBe(`${PLRU}?state=x`);
    expect(await loggedOut(browser, client)).toBe(true);
  });

  it("'stay signed in' keeps the session", async () => {
    const { client, browser } = await completeFlow(metadata);
    const html = await (await browser.fetch(endSession({ state: "only" }))).text();
    expect(html).toContain('id="signed-in-as"');
    const stay = await browser.submit(html, "/session/end/confirm", { logout: "no" });
    expect(stay.status).toBe(200);
    expect(await loggedOut(browser, client)).toBe(false);
  });

  it("with no session shows the signed-out page", async () => {
    const res = await new Browser().fetch("/session/end");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("signed out");
  });

  it("accepts an expired id_token_hint whose signature holds (§2)", async () => {
    const { client, browser, tokens } = await completeFlow(metadata);
    const claims = decodeJwt(tokens.id_token);
    const { keys } = await keyStore(env).signingKeys();
    const key = signingKeyAt(keys, "RS256", Date.now())!;
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ ...claims, iat: now - 7200, exp: now - 3600 })
      .setProtectedHeader({ alg: "RS256", kid: key.kid })
      .sign(await importJWK(key.privateJwk, "RS256"));
    const res = await browser.fetch(endSession({ id_token_hint: expired, post_logout_redirect_uri: PLRU }));
    expect(res.status).toBe(303);
    expect(await loggedOut(browser, client)).toBe(true);
  });

  it("refuses a hint it did not sign, or one changed to alg none, without redirecting", async () => {
    const { client, browser, tokens } = await completeFlow(metadata);
    const [, payload] = tokens.id_token.split(".");
    const none = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${payload}.`;
    const forgedSig = `${tokens.id_token.slice(0, tokens.id_token.lastIndexOf(".") + 1)}${"A".repeat(342)}`;
    for (const hint of [none, forgedSig, "not.a.jwt"]) {
      const res = await browser.fetch(endSession({ id_token_hint: hint, post_logout_redirect_uri: PLRU }));
      expect(res.status).toBe(400);
      expect(res.headers.get("location")).toBeNull();
    }
    expect(await loggedOut(browser, client)).toBe(false);
  });

  it("a hint naming another user asks, says so, and on confirmation ends this browser's session only", async () => {
    const { client, browser } = await completeFlow(metadata);
    const other = await otherUser(client);
    const code = other.nav.redirect!.searchParams.get("code")!;
    const otherTokens = await (await redeemCode(client, code, other.nav.verifier)).json<{ id_token: string }>();
    const res = await browser.fetch(endSession({ id_token_hint: otherTokens.id_token, post_logout_redirect_uri: PLRU, state: "z" }));
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('id="another-user"');
    expect(html).toMatch(/id="signed-in-as">alice</);
    expect(await loggedOut(browser, client)).toBe(false);
    const confirmed = await browser.submit(html, "/session/end/confirm", { logout: "yes" });
    expect(confirmed.headers.get("location")).toBe(`${PLRU}?state=z`);
    expect(await loggedOut(browser, client)).toBe(true);
    expect(await loggedOut(other.browser, client)).toBe(false); // the other user's session is untouched
  });

  it("logout_hint: the session's username (any case) logs out with the hint; another name asks", async () => {
    const first = await completeFlow(metadata);
    const asks = await first.browser.fetch(endSession({ id_token_hint: first.tokens.id_token, logout_hint: "mallory", post_logout_redirect_uri: PLRU }));
    expect(asks.status).toBe(200);
    expect(await asks.text()).toContain('id="another-user"');
    const ok = await first.browser.fetch(endSession({ id_token_hint: first.tokens.id_token, logout_hint: "ALICE", post_logout_redirect_uri: PLRU }));
    expect(ok.status).toBe(303);
    expect(await loggedOut(first.browser, first.client)).toBe(true);
  });

  it("ui_locales: the confirmation page in that language, with the client's localized name", async () => {
    const { client, browser } = await completeFlow({ ...metadata, client_name: "Reports", "client_name#fr": "Rapports" });
    const res = await browser.fetch(endSession({ client_id: client.client_id, ui_locales: "fr-CA en" }));
    const html = await res.text();
    expect(html).toMatch(/<html lang="fr">/);
    expect(html).toContain("Se déconnecter partout");
    expect(html).toContain("Rapports");
    expect(parseForms(html).find((f) => f.action.endsWith("/confirm"))!.hidden.ui_locales).toBe("fr-CA en");
  });

  it("refuses repeated parameters and over-long values with an error page", async () => {
    const { browser } = await completeFlow(metadata);
    expect((await browser.fetch("/session/end?state=a&state=b")).status).toBe(400);
    expect((await browser.fetch(endSession({ state: "x".repeat(2001) }))).status).toBe(400);
    expect((await browser.fetch(endSession({ id_token_hint: "x".repeat(16_001) }))).status).toBe(400);
  });
});

describe("front-channel logout (OIDC Front-Channel Logout §2-§3)", () => {
  it("renders every front-channel client's logout URI with iss and sid in hidden iframes, frames exactly those origins, then goes on to post_logout_redirect_uri", async () => {
    const { client, browser, tokens } = await completeFlow({
      ...metadata,
      frontchannel_logout_uri: "https://rp.example.com/fc?app=1",
      frontchannel_logout_session_required: true,
    });
    const other = await registerClient({ frontchannel_logout_uri: "https://other.example.net/logout" });
    const plain = await registerClient(); // no front-channel URI: no iframe
    for (const c of [other, plain]) expect((await authorize(browser, c)).redirect?.searchParams.get("code")).toBeTruthy();
    const sid = decodeJwt(tokens.id_token).sid;
    const res = await browser.fetch(endSession({ id_token_hint: tokens.id_token, post_logout_redirect_uri: PLRU, state: "s" }));
    expect(res.status).toBe(200);
    const html = await res.text();
    const frames = [...html.matchAll(/<iframe hidden src="([^"]+)"/g)].map((m) => new URL(m[1]!.replace(/&amp;/g, "&")));
    expect(frames.map((u) => u.origin + u.pathname).sort()).toEqual(["https://other.example.net/logout", "https://rp.example.com/fc"]);
    for (const u of frames) {
      expect(u.searchParams.get("iss")).toBe(ISSUER);
      expect(u.searchParams.get("sid")).toBe(sid);
    }
    expect(frames.find((u) => u.hostname === "rp.example.com")!.searchParams.get("app")).toBe("1");
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toMatch(
      /frame-src https:\/\/rp\.example\.com https:\/\/other\.example\.net(;|$)|frame-src https:\/\/other\.example\.net https:\/\/rp\.example\.com(;|$)/,
    );
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).toContain(`data-next="${PLRU}?state=s"`);
    expect(html).toContain('data-wait="3000"');
    expect(html).toContain(`href="${PLRU}?state=s"`); // without script the user follows the link
    expect(res.headers.getSetCookie().some((c) => c.startsWith("op_session=;"))).toBe(true);
    expect(await loggedOut(browser, client)).toBe(true);
  });

  it("without a post_logout_redirect_uri the iframes load on the signed-out page, which goes nowhere", async () => {
    const { browser, tokens } = await completeFlow({ frontchannel_logout_uri: "https://rp.example.com/fc" });
    const res = await browser.fetch(endSession({ id_token_hint: tokens.id_token }));
    const html = await res.text();
    expect(html).toContain('id="signed-out"');
    expect(html).toContain('<iframe hidden src="https://rp.example.com/fc?');
    // Only the page's own logo script: nothing that navigates on.
    expect(html).not.toContain("location.replace");
  });
});

describe("session management (OIDC Session Management §2-§3)", () => {
  it("returns session_state, the hash of client, origin, browser-state cookie and salt; a logout and a new login change the browser state", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const nav = await authorize(browser, client);
    const state = nav.redirect!.searchParams.get("session_state")!;
    const browserState = browser.cookies.get("op_browser_state")!.value;
    const salt = state.split(".")[1]!;
    expect(state).toBe(await sessionState({ clientId: client.client_id, origin: "https://rp.example.com", browserState, salt }));
    // Another authorization in the same session: a new salt, the same browser state.
    const again = (await authorize(browser, client)).redirect!.searchParams.get("session_state")!;
    expect(again).not.toBe(state);
    expect(again).toBe(await sessionState({ clientId: client.client_id, origin: "https://rp.example.com", browserState, salt: again.split(".")[1]! }));
    await browser
      .fetch("/session/end")
      .then((r) => r.text())
      .then((html) => browser.submit(html, "/session/end/confirm", { logout: "yes" }));
    expect(browser.hasCookie("op_browser_state")).toBe(false);
    await authorize(browser, client);
    expect(browser.cookies.get("op_browser_state")!.value).not.toBe(browserState);
  });

  it("has no session_state for plain OAuth requests", async () => {
    const client = await registerClient();
    const nav = await authorize(new Browser(), client, { params: { scope: "profile" } });
    expect(nav.redirect!.searchParams.get("code")).toBeTruthy();
    expect(nav.redirect!.searchParams.has("session_state")).toBe(false);
  });

  it("serves the check_session_iframe embeddable by any relying party, its script under a nonce, reading the browser-state cookie", async () => {
    const res = await new Browser().fetch("/session/check");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors *");
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get("x-frame-options")).toBeNull();
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
    const html = await res.text();
    expect(html).toContain(`<script nonce="${nonce}" data-cookie="op_browser_state">`);
    for (const answer of ['"unchanged"', '"changed"', '"error"']) expect(html).toContain(answer);
    expect(html).toContain("e.source.postMessage(answer,e.origin)");
    // Every other page still refuses to be framed.
    expect((await new Browser().fetch("/session/end")).headers.get("x-frame-options")).toBe("DENY");
  });
});

describe("fuzz: the end-session endpoint", () => {
  it("whatever the parameters, method and cookies: never a 5xx, never a redirect but to the registered post_logout_redirect_uri, HTML otherwise", async () => {
    const { client, tokens } = await completeFlow(metadata);
    const otherClient = await registerClient({ post_logout_redirect_uris: ["https://other.example.net/bye"] });
    const value = (pool: string[]) => fc.oneof(fc.constantFrom(...pool), fc.string({ maxLength: 60 }), fc.constant("x".repeat(2500)));
    const params = fc.dictionary(
      fc.constantFrom("id_token_hint", "logout_hint", "client_id", "post_logout_redirect_uri", "state", "ui_locales", "prompt", "csrf", "logout"),
      fc.oneof(
        value([tokens.id_token, `${tokens.id_token}x`, "a.b.c", ""]),
        value([client.client_id, otherClient.client_id, "unknown-client"]),
        value([PLRU, `${PLRU}?q=1`, "https://other.example.net/bye", "javascript:alert(1)", "//evil.example"]),
      ),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(
        params,
        fc.constantFrom("GET", "POST"),
        fc.constantFrom("/session/end", "/session/end/confirm"),
        fc.boolean(),
        fc.boolean(),
        async (p, method, path, withSession, duplicate) => {
          const browser = new Browser();
          if (withSession) await authorize(browser, client);
          const search = new URLSearchParams(p);
          if (duplicate) search.append("state", "again");
          const res =
            method === "GET"
              ? await browser.fetch(`${path}?${search}`)
              : await browser.fetch(path, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: search });
          expect(res.status).toBeLessThan(500);
          const location = res.headers.get("location");
          if (location) {
            const target = new URL(location);
            target.searchParams.delete("state");
            expect([PLRU, "https://other.example.net/bye"]).toContain(target.href.replace(/\?$/, ""));
          } else {
            expect(res.headers.get("content-type") ?? "").toMatch(/^text\/html/);
          }
          await res.body?.cancel();
        },
      ),
      { numRuns: 60 },
    );
  });
});
