import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { LogoutRecord } from "@op/core";
import { logoutDeliveryObject } from "@op/storage";
import { jwtRoleRefusal } from "@op/tokens";
import { compactDecrypt, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import { authorize, type Browser, basicAuth, completeFlow, decodeJwt, op, redeemCode, registerClient, TEST_ADMIN_TOKEN } from "./helpers";

/**
 * OIDC Back-Channel Logout 1.0 end to end in the runtime: logout tokens POSTed by the session's
 * LogoutDelivery object to a real HTTP server on loopback (test/setup/document-server.ts, whose
 * /logout/<name> sink records every request and can fail or hang), retries driven by the object's
 * alarm, the grants a logout revokes, and the admin API's sign-out-everywhere.
 */

const PLRU = "https://rp.example.com/bye";
const sinkBase = () => `${inject("documentServer")}/logout`;
const sinkName = () => `t-${crypto.randomUUID()}`;

interface Received {
  at: number;
  contentType?: string;
  body: string;
  answered: number | null;
}

async function received(name: string): Promise<Received[]> {
  return (await fetch(`${sinkBase()}/${name}/received`)).json();
}

/** Polls the sink until it holds `count` requests (or the time is up), then returns them. */
async function receivedAtLeast(name: string, count: number, ms = 8000): Promise<Received[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await received(name);
    if (got.length >= count || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const logoutTokenOf = (r: Received) => new URLSearchParams(r.body).get("logout_token")!;

async function opKeys() {
  return createLocalJWKSet(await (await op("/jwks")).json());
}

async function verifyLogoutToken(token: string, clientId: string, alg: string): Promise<JWTPayload> {
  const { payload, protectedHeader } = await jwtVerify(token, await opKeys(), { issuer: "http://localhost:8787", audience: clientId, algorithms: [alg] });
  expect(protectedHeader.typ).toBe("logout+jwt");
  // The role the OP's acceptance points know it by (RFC 8725 §3.11-3.12): a logout token and nothing else.
  expect(jwtRoleRefusal("logout_token", protectedHeader, payload)).toBeUndefined();
  expect(jwtRoleRefusal("id_token", protectedHeader, payload)).toBeDefined();
  expect(jwtRoleRefusal("access_token", protectedHeader, payload)).toBeDefined();
  return payload;
}

function logout(browser: Browser, idToken: string, extra: Record<string, string> = {}) {
  return browser.fetch(`/session/end?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: PLRU, state: "s1", ...extra })}`);
}

const deliveryOf = (sid: string) => logoutDeliveryObject(env, sid);
const recordOf = (sid: string): Promise<LogoutRecord | null> => Promise.resolve(deliveryOf(sid).record());

async function loggedOut(browser: Browser, client: Awaited<ReturnType<typeof registerClient>>) {
  const after = await authorize(browser, client, { params: { prompt: "none" } });
  return after.redirect?.searchParams.get("error") === "login_required";
}

describe("back-channel logout tokens (OIDC Back-Channel Logout §2.4-§2.5)", () => {
  it("POSTs one form parameter, logout_token, signed with the client's ID token alg and typed logout+jwt, naming the ID token's sub and sid", async () => {
    const name = sinkName();
    const { client, browser, tokens } = await completeFlow({
      post_logout_redirect_uris: [PLRU],
      backchannel_logout_uri: `${sinkBase()}/${name}`,
      backchannel_logout_session_required: true,
      id_token_signed_response_alg: "ES256",
    });
    const idToken = decodeJwt(tokens.id_token);
    const res = await logout(browser, tokens.id_token);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PLRU}?state=s1`);
    const [got, ...more] = await receivedAtLeast(name, 1);
    expect(more).toEqual([]);
    expect(got!.contentType).toBe("application/x-www-form-urlencoded");
    expect([...new URLSearchParams(got!.body).keys()]).toEqual(["logout_token"]);
    const token = logoutTokenOf(got!);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: "ES256", typ: "logout+jwt" });
    const claims = await verifyLogoutToken(token, client.client_id, "ES256");
    expect(claims.sub).toBe(idToken.sub);
    expect(claims.sid).toBe(idToken.sid);
    expect(claims.events).toEqual({ "http://schemas.openid.net/event/backchannel-logout": {} });
    expect(claims).not.toHaveProperty("nonce");
    expect(typeof claims.jti).toBe("string");
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(30);
    // The operator's record: delivered on the first attempt.
    const record = await recordOf(idToken.sid);
    expect(record).toMatchObject({ sub: idToken.sub, sid: idToken.sid, reason: "end_session", clients: [client.client_id] });
    expect(record!.deliveries).toEqual([expect.objectContaining({ clientId: client.client_id, status: "delivered", attempts: 1, lastResult: "200" })]);
    expect(await loggedOut(browser, client)).toBe(true);
  });

  it("gives a pairwise client its own sub, signs RS256 for a client of unsigned ID tokens, and encrypts to a client of encrypted ID tokens", async () => {
    const names = { pairwise: sinkName(), unsigned: sinkName(), encrypted: sinkName() };
    const encryption = await generateKeyPair("RSA-OAEP-256", { extractable: true });
    const encJwk = { ...(await exportJWK(encryption.publicKey)), kid: "enc1", use: "enc", alg: "RSA-OAEP-256" };
    const pairwise = await completeFlow({ subject_type: "pairwise", backchannel_logout_uri: `${sinkBase()}/${names.pairwise}` });
    const browser = pairwise.browser;
    const unsigned = await registerClient({ id_token_signed_response_alg: "none", backchannel_logout_uri: `${sinkBase()}/${names.unsigned}` });
    const encrypted = await registerClient({
      jwks: { keys: [encJwk] },
      id_token_encrypted_response_alg: "RSA-OAEP-256",
      backchannel_logout_uri: `${sinkBase()}/${names.encrypted}`,
    });
    for (const c of [unsigned, encrypted]) expect((await authorize(browser, c)).redirect?.searchParams.get("code")).toBeTruthy();
    const pairwiseSub = decodeJwt(pairwise.tokens.id_token).sub;
    expect(pairwiseSub).not.toMatch(/^[0-9a-f]{64}$/);
    // No post_logout_redirect_uri: the hint alone ends the session, and the signed-out page follows.
    const res = await browser.fetch(`/session/end?${new URLSearchParams({ id_token_hint: pairwise.tokens.id_token })}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("signed-out");
    const sid = decodeJwt(pairwise.tokens.id_token).sid;
    const [p] = await receivedAtLeast(names.pairwise, 1);
    expect((await verifyLogoutToken(logoutTokenOf(p!), pairwise.client.client_id, "RS256")).sub).toBe(pairwiseSub);
    const [u] = await receivedAtLeast(names.unsigned, 1);
    const unsignedClaims = await verifyLogoutToken(logoutTokenOf(u!), unsigned.client_id, "RS256");
    expect(unsignedClaims.sid).toBe(sid);
    expect(unsignedClaims.sub).toMatch(/^[0-9a-f]{64}$/);
    const [e] = await receivedAtLeast(names.encrypted, 1);
    const jwe = logoutTokenOf(e!);
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: "RSA-OAEP-256", cty: "JWT", kid: "enc1" });
    const inner = new TextDecoder().decode((await compactDecrypt(jwe, encryption.privateKey)).plaintext);
    expect((await verifyLogoutToken(inner, encrypted.client_id, "RS256")).sid).toBe(sid);
  });

  it("a logout token is not an ID token: it is refused as an id_token_hint", async () => {
    const name = sinkName();
    const first = await completeFlow({ post_logout_redirect_uris: [PLRU], backchannel_logout_uri: `${sinkBase()}/${name}` });
    await logout(first.browser, first.tokens.id_token);
    const [got] = await receivedAtLeast(name, 1);
    const again = await completeFlow({ post_logout_redirect_uris: [PLRU] });
    const res = await logout(again.browser, logoutTokenOf(got!), { post_logout_redirect_uri: PLRU });
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
  });
});

describe("back-channel delivery: parallel, retried, bounded (OIDC Back-Channel Logout §2.8)", () => {
  it("a relying party that fails twice and then answers gets a fresh token each time and is recorded as delivered, once", async () => {
    const name = sinkName();
    const { client, browser, tokens } = await completeFlow({ post_logout_redirect_uris: [PLRU], backchannel_logout_uri: `${sinkBase()}/${name}?fail=2` });
    const sid = decodeJwt(tokens.id_token).sid;
    expect((await logout(browser, tokens.id_token)).status).toBe(303);
    expect((await receivedAtLeast(name, 1)).map((r) => r.answered)).toEqual([503]);
    let record = await recordOf(sid);
    expect(record!.deliveries[0]).toMatchObject({ status: "pending", attempts: 1, lastResult: "503" });
    expect(record!.deliveries[0]!.nextAttemptAt! - record!.deliveries[0]!.lastAttemptAt!).toBe(10_000);

    expect(await runDurableObjectAlarm(deliveryOf(sid))).toBe(true);
    record = await recordOf(sid);
    expect(record!.deliveries[0]).toMatchObject({ status: "pending", attempts: 2, lastResult: "503" });
    expect(record!.deliveries[0]!.nextAttemptAt! - record!.deliveries[0]!.lastAttemptAt!).toBe(30_000);

    expect(await runDurableObjectAlarm(deliveryOf(sid))).toBe(true);
    record = await recordOf(sid);
    expect(record!.deliveries[0]).toMatchObject({ status: "delivered", attempts: 3, lastResult: "200" });
    const got = await received(name);
    expect(got.map((r) => r.answered)).toEqual([503, 503, 200]);
    const jtis = await Promise.all(got.map(async (r) => (await verifyLogoutToken(logoutTokenOf(r), client.client_id, "RS256")).jti));
    expect(new Set(jtis).size).toBe(3);

    // The operator sees the same through the admin API.
    const admin = await op(`/admin/logouts/${sid}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(admin.status).toBe(200);
    expect((await admin.json<LogoutRecord>()).deliveries[0]).toMatchObject({ clientId: client.client_id, status: "delivered", attempts: 3 });
    // The next alarm is the record's end (a week on): it sends nothing more.
    expect(await runDurableObjectAlarm(deliveryOf(sid))).toBe(true);
    expect((await received(name)).length).toBe(3);
    expect(await recordOf(sid)).toBeNull();
  });

  it("a relying party that answers 400 refused the token: no retry", async () => {
    const name = sinkName();
    const { browser, tokens } = await completeFlow({ post_logout_redirect_uris: [PLRU], backchannel_logout_uri: `${sinkBase()}/${name}?fail=10&status=400` });
    const sid = decodeJwt(tokens.id_token).sid;
    await logout(browser, tokens.id_token);
    await receivedAtLeast(name, 1);
    expect((await recordOf(sid))!.deliveries[0]).toMatchObject({ status: "failed", attempts: 1, lastResult: "400" });
  });

  it("a relying party that never answers does not hold the user: the logout completes within the wait, the delivery times out behind it", async () => {
    const slow = sinkName();
    const fast = sinkName();
    const { client, browser, tokens } = await completeFlow({ post_logout_redirect_uris: [PLRU], backchannel_logout_uri: `${sinkBase()}/${slow}?hang=1` });
    const other = await registerClient({ backchannel_logout_uri: `${sinkBase()}/${fast}` });
    expect((await authorize(browser, other)).redirect?.searchParams.get("code")).toBeTruthy();
    const sid = decodeJwt(tokens.id_token).sid;
    const t0 = Date.now();
    const res = await logout(browser, tokens.id_token);
    const elapsed = Date.now() - t0;
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`${PLRU}?state=s1`);
    // BACKCHANNEL_LOGOUT_WAIT_MS (2 s) and not the 5 s the hanging request takes to time out.
    expect(elapsed).toBeLessThan(4500);
    expect(await loggedOut(browser, client)).toBe(true);
    // The other relying party was told in parallel, not after the hanging one.
    expect((await received(fast)).length).toBe(1);
    const deadline = Date.now() + 10_000;
    let record = await recordOf(sid);
    while (record!.deliveries.find((d) => d.clientId === client.client_id)!.attempts === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      record = await recordOf(sid);
    }
    expect(record!.deliveries.find((d) => d.clientId === client.client_id)).toMatchObject({ status: "pending", attempts: 1, lastResult: "timeout" });
    expect(record!.deliveries.find((d) => d.clientId === other.client_id)).toMatchObject({ status: "delivered", attempts: 1 });
  });

  it("parallel logouts of one session (two tabs and the operator) send one set of notifications", async () => {
    const name = sinkName();
    const { client, browser, tokens } = await completeFlow({ post_logout_redirect_uris: [PLRU], backchannel_logout_uri: `${sinkBase()}/${name}` });
    const sub = decodeJwt(tokens.id_token).sub;
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => logout(browser, tokens.id_token)),
      op(`/admin/users/${sub}/sessions`, { method: "DELETE", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }),
    ]);
    for (const r of results.slice(0, 8)) expect(r.status).toBe(303);
    expect(results[8]!.status).toBe(200);
    await receivedAtLeast(name, 2, 3000); // would catch a second notification
    expect((await received(name)).length).toBe(1);
    expect((await recordOf(decodeJwt(tokens.id_token).sid))!.deliveries).toEqual([expect.objectContaining({ clientId: client.client_id, attempts: 1 })]);
  });
});

describe("grants at logout (OIDC Back-Channel Logout §2.7)", () => {
  const refresh = (client: Awaited<ReturnType<typeof registerClient>>, refreshToken: string) =>
    op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken }),
    });
  const userinfo = (accessToken: string) => op("/userinfo", { headers: { authorization: `Bearer ${accessToken}` } });

  it("revokes the session's refresh and access tokens without offline_access, keeps offline_access, and refuses a code from the ended session", async () => {
    const offline = await completeFlow({ post_logout_redirect_uris: [PLRU] }, { params: { scope: "openid offline_access", prompt: "consent" } });
    const { browser } = offline;
    expect(offline.tokens.refresh_token).toBeTruthy();
    // Plain OAuth (no openid): a refresh token without offline_access, tied to the session.
    const plain = await registerClient();
    const plainAuth = await authorize(browser, plain, { params: { scope: "profile" } });
    const plainTokens = await (await redeemCode(plain, plainAuth.redirect!.searchParams.get("code")!, plainAuth.verifier)).json<Record<string, string>>();
    expect(plainTokens.refresh_token).toBeTruthy();
    const online = await registerClient();
    const onlineAuth = await authorize(browser, online);
    const onlineTokens = await (await redeemCode(online, onlineAuth.redirect!.searchParams.get("code")!, onlineAuth.verifier)).json<Record<string, string>>();
    expect((await userinfo(onlineTokens.access_token!)).status).toBe(200);
    const pending = await registerClient();
    const pendingAuth = await authorize(browser, pending); // its code is redeemed only after the logout

    expect((await logout(browser, offline.tokens.id_token)).status).toBe(303);

    expect((await refresh(plain, plainTokens.refresh_token!)).status).toBe(400);
    expect((await userinfo(onlineTokens.access_token!)).status).toBe(401);
    const late = await redeemCode(pending, pendingAuth.redirect!.searchParams.get("code")!, pendingAuth.verifier);
    expect(late.status).toBe(400);
    expect((await late.json<Record<string, string>>()).error).toBe("invalid_grant");
    const kept = await refresh(offline.client, offline.tokens.refresh_token);
    expect(kept.status, await kept.clone().text()).toBe(200);
  });
});

describe("sessions acted on: the admin API and the user's sign-out-everywhere (docs/logout.md)", () => {
  const admin = (path: string, init: RequestInit = {}) => op(path, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...init.headers } });

  it("lists a user's sessions with the clients each served, signs the user out everywhere, and notifies every relying party of every session", async () => {
    const names = [sinkName(), sinkName()];
    const a = await completeFlow({ backchannel_logout_uri: `${sinkBase()}/${names[0]}` });
    const b = await completeFlow({ backchannel_logout_uri: `${sinkBase()}/${names[1]}` });
    const sub = decodeJwt(a.tokens.id_token).sub;
    expect(decodeJwt(b.tokens.id_token).sub).toBe(sub);
    const sids = [decodeJwt(a.tokens.id_token).sid, decodeJwt(b.tokens.id_token).sid];

    const listed = await admin(`/admin/users/${sub}/sessions`);
    expect(listed.status).toBe(200);
    const { sessions } = await listed.json<{ sessions: { sid: string; clients: string[] }[] }>();
    for (const [i, sid] of sids.entries()) expect(sessions.find((s) => s.sid === sid)?.clients).toEqual([[a, b][i]!.client.client_id]);
    expect(JSON.stringify(sessions)).not.toContain(a.browser.cookies.get("op_session")!.value); // never the cookie's secret

    const out = await admin(`/admin/users/${sub}/sessions`, { method: "DELETE" });
    expect(out.status).toBe(200);
    const body = await out.json<{ ended: { sid: string; logout: LogoutRecord | null }[] }>();
    expect(body.ended.map((e) => e.sid)).toEqual(expect.arrayContaining(sids));
    for (const name of names) expect((await receivedAtLeast(name, 1)).length).toBe(1);
    expect(await loggedOut(a.browser, a.client)).toBe(true);
    expect(await loggedOut(b.browser, b.client)).toBe(true);
    expect(
      (await (await admin(`/admin/users/${sub}/sessions`)).json<{ sessions: unknown[] }>()).sessions.filter((s) => sids.includes((s as { sid: string }).sid)),
    ).toEqual([]);
    expect((await recordOf(sids[0]!))!.reason).toBe("admin");
  });

  it("the user's own sign-out-everywhere (the confirmation page): every session of the account ends, each relying party told once, front-channel ones framed", async () => {
    const names = [sinkName(), sinkName()];
    const a = await completeFlow({ backchannel_logout_uri: `${sinkBase()}/${names[0]}` });
    const b = await completeFlow({ backchannel_logout_uri: `${sinkBase()}/${names[1]}`, frontchannel_logout_uri: "https://fc.example.com/logout" });
    const sids = [decodeJwt(a.tokens.id_token).sid, decodeJwt(b.tokens.id_token).sid];
    // The user visits the end-session endpoint with nothing: the OP asks, and offers every device.
    const html = await (await a.browser.fetch("/session/end")).text();
    expect(html).toContain('id="logout-everywhere"');
    // Without this browser's CSRF cookie the same answer is refused, and nothing ends.
    expect((await b.browser.submit(html, "/session/end/confirm", { logout: "everywhere" })).status).toBe(400);
    expect(await loggedOut(b.browser, b.client)).toBe(false);
    const out = await a.browser.submit(html, "/session/end/confirm", { logout: "everywhere" });
    expect(out.status).toBe(200);
    // The other browser's session served a front-channel client: this page frames its logout URI with that session's sid.
    expect(await out.text()).toContain(`https://fc.example.com/logout?iss=${encodeURIComponent("http://localhost:8787")}&amp;sid=${sids[1]}`);
    for (const name of names) expect((await receivedAtLeast(name, 1)).length).toBe(1);
    expect(await loggedOut(a.browser, a.client)).toBe(true);
    expect(await loggedOut(b.browser, b.client)).toBe(true);
    for (const sid of sids) expect((await recordOf(sid))!.reason).toBe("sign_out_everywhere");
  });

  it("needs the admin token, and answers an unknown user or logout with 404 and a malformed one with 400", async () => {
    const sub = "0".repeat(64);
    expect((await op(`/admin/users/${sub}/sessions`)).status).toBe(401);
    expect((await op(`/admin/users/${sub}/sessions`, { method: "DELETE", headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await op("/admin/logouts/abc")).status).toBe(401);
    expect((await admin(`/admin/users/${sub}/sessions`)).status).toBe(404);
    expect((await admin("/admin/users/not-an-id/sessions")).status).toBe(400);
    expect((await admin("/admin/logouts/never-ended")).status).toBe(404);
    expect((await admin("/admin/logouts/%3Cscript%3E")).status).toBe(400);
  });
});

describe("registration of logout URIs (OIDC Back-Channel Logout §2.2, Front-Channel Logout §2)", () => {
  const register = async (metadata: Record<string, unknown>) => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], ...metadata }),
    });
    return { status: res.status, body: await res.json<Record<string, unknown>>() };
  };

  it("refuses a backchannel_logout_uri the fetch guard refuses, and keeps the accepted members", async () => {
    for (const uri of [
      "http://rp.example.com/bc",
      "https://10.0.0.1/bc",
      "https://169.254.169.254/latest",
      "https://[fd00::1]:8443/bc",
      "https://internal/bc",
      "https://user:pw@rp.example.com/bc",
      "http://localhost:8787/session/end",
      "https://rp.example.com/bc#frag",
      "ftp://rp.example.com/bc",
      "not a url",
    ]) {
      const { status, body } = await register({ backchannel_logout_uri: uri });
      expect(status, uri).toBe(400);
      expect(body.error, uri).toBe("invalid_client_metadata");
    }
    const ok = await register({
      backchannel_logout_uri: "https://rp.example.com/bc?x=1",
      backchannel_logout_session_required: true,
      frontchannel_logout_uri: "https://rp.example.com/fc",
      frontchannel_logout_session_required: true,
    });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      backchannel_logout_uri: "https://rp.example.com/bc?x=1",
      backchannel_logout_session_required: true,
      frontchannel_logout_uri: "https://rp.example.com/fc",
      frontchannel_logout_session_required: true,
    });
  });

  it("refuses a frontchannel_logout_uri that is not https (loopback http in development aside), has a fragment, or that the fetch guard refuses", async () => {
    for (const uri of [
      "http://rp.example.com/fc",
      "https://rp.example.com/fc#x",
      "javascript:alert(1)",
      "relative/fc",
      // The fetch guard's (rules/fetch-guard.ts): the signed-out page must not frame the user's private network, nor the OP itself.
      "https://192.168.1.1/admin",
      "https://169.254.169.254/latest",
      "https://[fd00::1]/fc",
      "https://router.local/fc",
      "https://user:pw@rp.example.com/fc",
      "http://localhost:8787/session/end",
    ]) {
      const { status, body } = await register({ frontchannel_logout_uri: uri });
      expect(status, uri).toBe(400);
      expect(body.error, uri).toBe("invalid_client_metadata");
    }
    expect((await register({ frontchannel_logout_uri: "http://127.0.0.1:9999/fc" })).status).toBe(201);
  });
});
