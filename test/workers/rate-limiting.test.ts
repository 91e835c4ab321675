import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { ConfigSchema, getConfig } from "@op/core";
import { clientAddress, ipv6Prefix64 } from "@op/http";
import { backoffSeconds, type LimitedAction, LOGIN_WAIT_MS, loginStreak, userByUsername } from "@op/storage";
import { describe, expect, it } from "vitest";
import { Browser as SharedBrowser } from "../support/browser";
import { authorize, b64url, basicAuth, ISSUER, machineClient, op, parseForms, pkcePair, registerClient } from "./helpers";

/**
 * Rate limits and the login lockout (packages/common/src/durable-objects/rate-limiter.ts).
 * The limits are the defaults, as every other test file runs with them, so endpoint tests here
 * come each from their own address (CF-Connecting-IP) and never spend the "local" budget the
 * other files share; a budget is spent up front through the limiter's binding where reaching
 * it by requests would take too long.
 */

const config = getConfig(env);
const FORM = "application/x-www-form-urlencoded";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
let lastOctet = 0;
/** A fresh address per use (TEST-NET-3, RFC 5737). */
const newAddress = () => `203.0.113.${++lastOctet}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const limiter = (key: string) => env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key));

/** A browser whose requests come from `ip`, as Cloudflare would say in CF-Connecting-IP. */
class Browser extends SharedBrowser {
  constructor(readonly ip: string) {
    super(ISSUER, (request) => {
      const headers = new Headers(request.headers);
      headers.set("cf-connecting-ip", ip);
      return exports.default.fetch(new Request(request, { headers }));
    });
  }
}

/** Spends all but `leave` of the (fresh) budget of `action` for `subject`, as that many requests would, in batches. */
async function spend(action: LimitedAction, subject: string, leave = 0) {
  const limit = config.rateLimits[action]!;
  const stub = limiter(`${action}:${subject}`);
  for (let left = limit.count; left > leave; ) {
    const taken = await stub.take(limit.count, limit.window, left - leave);
    if (!taken.allowed) throw new Error(`budget of ${action}:${subject} already spent`);
    left -= taken.granted;
  }
}

/** How many requests the limiter counted in the current window of `action` for `subject`. */
const countedFor = (action: LimitedAction, subject: string) =>
  runInDurableObject(limiter(`${action}:${subject}`), (_i, state) => state.storage.kv.get<{ count: number }>("window")?.count ?? 0);

async function expectTooMany(res: Response, maxRetryAfter: number) {
  const text = await res.clone().text();
  expect(res.status, text).toBe(429);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter, text).toBeGreaterThanOrEqual(1);
  expect(retryAfter, text).toBeLessThanOrEqual(maxRetryAfter);
  return retryAfter;
}

async function expectTooManyJson(res: Response, maxRetryAfter: number) {
  await expectTooMany(res, maxRetryAfter);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  expect(await res.json()).toEqual({ error: "temporarily_unavailable", error_description: expect.stringMatching(/retry after \d+ s \(limit: [A-Z_, ]+\)$/) });
}

describe("the RateLimiter object", () => {
  it("counts concurrent requests exactly: 30 at once against a limit of 10 let exactly 10 through", async () => {
    const stub = limiter(`test:concurrent:${crypto.randomUUID()}`);
    const results = await Promise.all(Array.from({ length: 30 }, () => stub.hit(10, 60)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    for (const r of results.filter((r) => !r.allowed)) expect(r).toEqual({ allowed: false, retryAfter: expect.any(Number) });
    expect(Math.max(...results.map((r) => (r.allowed ? 0 : r.retryAfter)))).toBeLessThanOrEqual(60);
  });

  it("starts a new window once the last one is over, and takes back refunds of the current window only", async () => {
    const stub = limiter(`test:window:${crypto.randomUUID()}`);
    const t0 = Date.now();
    const first = await stub.hit(2, 10, t0);
    expect(first).toEqual({ allowed: true, windowEnd: t0 + 10_000 });
    expect((await stub.hit(2, 10, t0 + 1000)).allowed).toBe(true);
    expect(await stub.hit(2, 10, t0 + 2000)).toEqual({ allowed: false, retryAfter: 8 });
    await stub.refund(t0 + 10_000);
    expect((await stub.hit(2, 10, t0 + 3000)).allowed).toBe(true);
    expect((await stub.hit(2, 10, t0 + 4000)).allowed).toBe(false);
    expect(await stub.hit(2, 10, t0 + 10_000)).toEqual({ allowed: true, windowEnd: t0 + 20_000 });
    await stub.refund(t0 + 10_000); // a refund for the previous window changes nothing
    expect((await stub.hit(2, 10, t0 + 10_001)).allowed).toBe(true);
    expect((await stub.hit(2, 10, t0 + 10_002)).allowed).toBe(false);
  });

  it("locks a login streak from the threshold on, doubling up to the cap; a success ends the streak", async () => {
    const stub = limiter(`test:streak:${crypto.randomUUID()}`);
    const policy = { threshold: 3, initialBackoff: 1, maxBackoff: 8 };
    const allowed = { allowed: true, attempt: expect.any(String) };
    /** One attempt that fails at `t`. */
    const fail = async (t: number) => {
      const a = await stub.attempt(policy, t);
      expect(a).toEqual(allowed);
      if (a.allowed) await stub.failed(a.attempt, policy, t);
    };
    const t0 = Date.now();
    await fail(t0);
    await fail(t0);
    await fail(t0); // the third failure locks for 1 s
    expect(await stub.attempt(policy, t0 + 500)).toEqual({ allowed: false, retryAfter: 1 });
    let t = t0 + 1000;
    for (const lock of [2, 4, 8, 8, 8]) {
      await fail(t);
      expect(await stub.attempt(policy, t + 1)).toEqual({ allowed: false, retryAfter: lock });
      // Hammering while locked neither counts nor extends the lock.
      expect(await stub.attempt(policy, t + lock * 1000 - 1)).toEqual({ allowed: false, retryAfter: 1 });
      t += lock * 1000;
    }
    const right = await stub.attempt(policy, t);
    if (!right.allowed) throw new Error("refused");
    await stub.succeeded(right.attempt);
    await fail(t);
    await fail(t);
    expect(await stub.attempt(policy, t + 1)).toEqual(allowed);
  });

  it("counts only confirmed failures: attempts beyond the threshold wait for those in flight, then go ahead or are refused", async () => {
    const policy = { threshold: 3, initialBackoff: 60, maxBackoff: 60 };
    const attempts = async (stub: ReturnType<typeof limiter>, n: number) => {
      const started = await Promise.all(Array.from({ length: n }, () => stub.attempt(policy)));
      return started.map((a) => (a.allowed ? a.attempt : expect.unreachable("refused")));
    };
    // Failures: three in flight, a fourth waits; the three fail, the lock falls, the fourth is refused.
    const guessed = limiter(`test:inflight:${crypto.randomUUID()}`);
    const guesses = await attempts(guessed, 3);
    let fourth: unknown;
    const waiting = guessed.attempt(policy).then((r) => (fourth = r));
    await sleep(100);
    expect(fourth).toBeUndefined();
    for (const a of guesses) await guessed.failed(a, policy);
    expect(await waiting).toEqual({ allowed: false, retryAfter: 60 });
    // A success: the waiting attempt goes ahead at once, and the streak starts over.
    const user = limiter(`test:inflight:${crypto.randomUUID()}`);
    const [first, ...others] = await attempts(user, 3);
    const next = user.attempt(policy);
    await sleep(100);
    await user.succeeded(first!);
    const admitted = await next;
    expect(admitted).toEqual({ allowed: true, attempt: expect.any(String) });
    if (admitted.allowed) await user.succeeded(admitted.attempt);
    for (const a of others) await user.failed(a, policy);
    expect((await user.attempt(policy)).allowed).toBe(true); // 2 failures since the last success, none in flight: below the threshold
    // Nobody reports: the wait is bounded (LOGIN_WAIT_MS), then 429.
    const silent = limiter(`test:inflight:${crypto.randomUUID()}`);
    await attempts(silent, 3);
    const t0 = Date.now();
    expect(await silent.attempt(policy)).toEqual({ allowed: false, retryAfter: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(LOGIN_WAIT_MS - 50);
    // Attempts write nothing; only a confirmed failure is stored.
    expect(await runInDurableObject(silent, (_i, state) => state.storage.sql.exec("SELECT name FROM sqlite_master").toArray())).toEqual([]);
  });

  it("default backoff: 5 failures, then 1 s doubling to 15 min", () => {
    expect(config.loginLockout).toEqual({ threshold: 5, initialBackoff: 1, maxBackoff: 900 });
    expect([4, 5, 6, 7, 14, 15, 1000].map((n) => backoffSeconds(config.loginLockout, n))).toEqual([0, 1, 2, 4, 512, 900, 900]);
  });

  it("an alarm clears a window and a login streak", async () => {
    const window = limiter(`test:alarm:${crypto.randomUUID()}`);
    for (let i = 0; i < 3; i++) await window.hit(3, 3600);
    expect((await window.hit(3, 3600)).allowed).toBe(false);
    expect(await runDurableObjectAlarm(window)).toBe(true);
    expect(await runInDurableObject(window, (_i, state) => [...state.storage.kv.list()])).toEqual([]);
    expect((await window.hit(3, 3600)).allowed).toBe(true);

    const streak = limiter(`test:alarm:${crypto.randomUUID()}`);
    for (let i = 0; i < 5; i++) {
      const a = await streak.attempt(config.loginLockout);
      if (a.allowed) await streak.failed(a.attempt, config.loginLockout);
    }
    expect((await streak.attempt(config.loginLockout)).allowed).toBe(false);
    // The alarm waits for the end of the lock and a day without attempts.
    const alarmAt = await runInDurableObject(streak, (_i, state) => state.storage.getAlarm());
    expect(alarmAt! - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    expect(await runDurableObjectAlarm(streak)).toBe(true);
    expect(await runInDurableObject(streak, (_i, state) => [...state.storage.kv.list()])).toEqual([]);
    expect((await streak.attempt(config.loginLockout)).allowed).toBe(true);
  });
});

describe("configuration", () => {
  it("defaults, the limit syntax and off", () => {
    const parse = (vars: Record<string, string>) => ConfigSchema.safeParse({ ISSUER, ...vars });
    const defaults = parse({}).data!;
    expect(defaults.rateLimits).toEqual({
      "login:ip": { count: 50, window: 60 },
      "token:client": { count: 15000, window: 60 },
      "token:ip": { count: 1200, window: 60 },
      "register:ip": { count: 20, window: 3600 },
      "device:ip": { count: 20, window: 60 },
      "fetch:client": { count: 30, window: 60 },
    });
    expect(defaults.loginLockout).toEqual({ threshold: 5, initialBackoff: 1, maxBackoff: 900 });
    // One relying party sustains at least 200 token requests a second on its client's budget.
    expect(defaults.rateLimits["token:client"]!.count / defaults.rateLimits["token:client"]!.window).toBeGreaterThanOrEqual(200);
    expect(parse({ RATE_LIMIT_TOKEN_IP: "10/30s", RATE_LIMIT_DEVICE_IP: "off" }).data!.rateLimits).toMatchObject({
      "token:ip": { count: 10, window: 30 },
      "device:ip": null,
    });
    for (const bad of ["50 per minute", "0/1m", "5/0m", "5/25h", "-1/1m", ""]) expect(parse({ RATE_LIMIT_LOGIN_IP: bad }).success, bad).toBe(false);
    expect(parse({ LOGIN_LOCKOUT_BACKOFF: "60", LOGIN_LOCKOUT_MAX: "30" }).success).toBe(false);
  });
});

describe("client addresses", () => {
  const of = (ip?: string) => clientAddress(new Request(ISSUER, { headers: ip ? { "cf-connecting-ip": ip } : {} }));

  it("come from CF-Connecting-IP, IPv6 per /64, and are 'local' without it", () => {
    expect(of()).toBe("local");
    expect(of("198.51.100.7")).toBe("198.51.100.7");
    expect(of("2001:DB8:0:0:1::7")).toBe("2001:db8:0:0::/64");
    expect(of("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(of("2001:db8:0:1::1")).toBe("2001:db8:0:1::/64");
    expect(of("::ffff:198.51.100.7")).toBe("0:0:0:0::/64");
    expect(ipv6Prefix64("1:2:3:4:5:6:7:8:9")).toBeNull();
    expect(ipv6Prefix64("1::2::3")).toBeNull();
    expect(of("not:an:address")).toBe("not:an:address");
  });
});

// ------------------------------------------------------------------ login

/** A login form of a fresh authorization request, in `browser`. */
async function loginForm(browser: Browser, clientId: string): Promise<string> {
  const { challenge } = await pkcePair();
  const start = await browser.fetch(
    `/authorize?${new URLSearchParams({ client_id: clientId, response_type: "code", scope: "openid", code_challenge: challenge, code_challenge_method: "S256" })}`,
  );
  expect(start.status).toBe(303);
  const res = await browser.fetch(start.headers.get("location")!);
  expect(res.status).toBe(200);
  return res.text();
}

/** One login through the interaction form: the status, Retry-After and the message shown. */
async function login(browser: Browser, form: string, username: string, password: string) {
  const res = await browser.submit(form, "/login", { username, password, action: "login" });
  const html = await res.text();
  const message = /id="login-error"[^>]*>([^<]*)</.exec(html)?.[1];
  return {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    message,
    html,
    session: res.headers.getSetCookie().some((c) => c.startsWith("op_session=")),
  };
}

describe("login lockout per account", () => {
  it("locks after 5 failures, the same for unknown usernames, refuses the right password while locked, then backs off", async () => {
    const client = await registerClient();
    const username = `carol-${crypto.randomUUID()}`;
    expect(await userByUsername(env, username).create({ username, password: "carol-password" })).toBe(true);
    const unknown = `nobody-${crypto.randomUUID()}`;
    const browser = new Browser(newAddress());
    const form = await loginForm(browser, client.client_id);

    const outcomes = async (name: string, last: string) => {
      const seen = [];
      for (let i = 0; i < 5; i++) seen.push(await login(browser, form, name, "wrong-password"));
      seen.push(await login(browser, form, name, last));
      return seen.map(({ status, retryAfter, message, session }) => ({ status, retryAfter, message, session }));
    };
    const failed = { status: 401, retryAfter: null, message: "Invalid username or password.", session: false };
    const locked = { status: 429, retryAfter: "1", message: "Too many sign-in attempts. Try again in 1 second.", session: false };
    // The right password during the lock is refused just as a wrong one, and as for an unknown name.
    expect(await outcomes(username, "carol-password")).toEqual([failed, failed, failed, failed, failed, locked]);
    expect(await outcomes(unknown, "whatever-password")).toEqual([failed, failed, failed, failed, failed, locked]);

    // The locked page is the login form again, so the user can go on once the wait is over.
    const lockedPage = await login(browser, form, username, "carol-password");
    expect(lockedPage.status).toBe(429);
    expect(parseForms(lockedPage.html).some((f) => f.action.endsWith("/login"))).toBe(true);

    await sleep(1100);
    // The next failure doubles the lock.
    expect(await login(browser, form, username, "wrong-password")).toMatchObject({ status: 401 });
    expect(await login(browser, form, username, "carol-password")).toMatchObject({ status: 429, retryAfter: "2" });
    await sleep(2100);
    expect(await login(browser, form, username, "carol-password")).toMatchObject({ status: 303, session: true });
    // The success ended the streak: four failures in a row lock nothing.
    for (let i = 0; i < 4; i++) expect(await login(browser, form, username, "wrong-password")).toMatchObject({ status: 401 });
    expect(await login(browser, form, username, "carol-password")).toMatchObject({ status: 303, session: true });
  });

  it("is kept per normalised username, and cleared by its alarm", async () => {
    const client = await registerClient();
    const username = `dave-${crypto.randomUUID()}`;
    await userByUsername(env, username).create({ username, password: "dave-password" });
    const browser = new Browser(newAddress());
    const form = await loginForm(browser, client.client_id);
    for (let i = 0; i < 5; i++) await login(browser, form, ` ${username.toUpperCase()} `, "wrong-password");
    expect(await login(browser, form, username, "dave-password")).toMatchObject({ status: 429 });
    // From another address too: the lock is the account's.
    const elsewhere = new Browser(newAddress());
    expect(await login(elsewhere, await loginForm(elsewhere, client.client_id), username, "dave-password")).toMatchObject({ status: 429 });
    expect(await runDurableObjectAlarm(loginStreak(env, username))).toBe(true);
    expect(await login(browser, form, username, "dave-password")).toMatchObject({ status: 303, session: true });
  });

  it("applies to the device verification login too", async () => {
    const client = await registerClient({ redirect_uris: undefined, grant_types: [DEVICE_GRANT] });
    const started = await (
      await op("/device_authorization", {
        method: "POST",
        headers: { "content-type": FORM, authorization: basicAuth(client.client_id, client.client_secret!) },
        body: "scope=openid",
      })
    ).json<{ user_code: string }>();
    const username = `erin-${crypto.randomUUID()}`;
    await userByUsername(env, username).create({ username, password: "erin-password" });
    const browser = new Browser(newAddress());
    const codeForm = await (await browser.fetch("/device")).text();
    const loginPage = await (await browser.submit(codeForm, "/device", { user_code: started.user_code })).text();
    const statuses = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await browser.submit(loginPage, "/device/login", { username, password: "wrong-password", action: "login" })).status);
    const locked = await browser.submit(loginPage, "/device/login", { username, password: "erin-password", action: "login" });
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    await expectTooMany(locked, 1);
    const html = await locked.text();
    expect(html).toContain("Too many sign-in attempts");
    expect(parseForms(html).some((f) => f.action === "/device/login")).toBe(true);
    expect(browser.hasCookie("op_session")).toBe(false);
  });
});

describe("login lockout: only confirmed failures count", () => {
  async function account(name: string) {
    const client = await registerClient();
    const username = `${name}-${crypto.randomUUID()}`;
    expect(await userByUsername(env, username).create({ username, password: `${name}-password` })).toBe(true);
    const browser = new Browser(newAddress());
    return { username, password: `${name}-password`, browser, form: await loginForm(browser, client.client_id) };
  }
  const statuses = (results: { status: number }[]) => results.map((r) => r.status).sort();

  it("10 simultaneous correct sign-ins of one user all succeed", async () => {
    const { username, password, browser, form } = await account("gina");
    const results = await Promise.all(Array.from({ length: 10 }, () => login(browser, form, username, password)));
    expect(statuses(results)).toEqual(Array(10).fill(303));
  });

  it("after 4 confirmed failures, 10 simultaneous correct sign-ins still all succeed (they wait for each other, one success ends the streak)", async () => {
    const { username, password, browser, form } = await account("hank");
    for (let i = 0; i < 4; i++) expect(await login(browser, form, username, "wrong-password")).toMatchObject({ status: 401 });
    const results = await Promise.all(Array.from({ length: 10 }, () => login(browser, form, username, password)));
    expect(statuses(results)).toEqual(Array(10).fill(303));
  });

  it("20 parallel wrong guesses: exactly 5 passwords are checked before the lock, the other 15 are refused", async () => {
    const { username, password, browser, form } = await account("ivan");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(browser, form, username, `guess-${i}`)));
    expect(results.filter((r) => r.status === 401)).toHaveLength(config.loginLockout.threshold);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20 - config.loginLockout.threshold);
    expect(await login(browser, form, username, password)).toMatchObject({ status: 429 });
  });
});

describe("login limit per address", () => {
  it("counts failed logins from one address (50 a minute); successes do not count", async () => {
    const client = await registerClient();
    const username = `frank-${crypto.randomUUID()}`;
    await userByUsername(env, username).create({ username, password: "frank-password" });
    const browser = new Browser(newAddress());
    const form = await loginForm(browser, client.client_id);
    for (let i = 0; i < 3; i++) expect(await login(browser, form, username, "frank-password")).toMatchObject({ status: 303 });
    // Each failure with another name, so that no account lockout is involved.
    const statuses = [];
    for (let i = 0; i < config.rateLimits["login:ip"]!.count; i++)
      statuses.push((await login(browser, form, `guess-${i}-${crypto.randomUUID()}`, "guess-password")).status);
    expect(statuses.every((s) => s === 401)).toBe(true);
    const refused = await login(browser, form, username, "frank-password");
    expect(refused).toMatchObject({ status: 429, message: expect.stringMatching(/^Too many sign-in attempts/), session: false });
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    // Another address is not affected.
    const other = new Browser(newAddress());
    expect(await login(other, await loginForm(other, client.client_id), username, "frank-password")).toMatchObject({ status: 303 });
  });
});

// ------------------------------------------------------------------ token endpoint

const tokenRequest = (ip: string, authorization: string) =>
  op("/token", {
    method: "POST",
    headers: { "content-type": FORM, authorization, "cf-connecting-ip": ip },
    body: `grant_type=authorization_code&code=nope&redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&code_verifier=${"a".repeat(43)}`,
  });

describe("token endpoint limits", () => {
  it("per address, before anything else: 429 with Retry-After once the address's budget is spent", async () => {
    const client = await registerClient();
    const ip = newAddress();
    await spend("token:ip", ip, 1);
    const auth = basicAuth(client.client_id, client.client_secret!);
    expect((await tokenRequest(ip, auth)).status).toBe(400); // the last one of the budget: invalid_grant
    await expectTooManyJson(await tokenRequest(ip, auth), 60);
    await expectTooManyJson(await tokenRequest(ip, basicAuth(client.client_id, "wrong")), 60);
    expect((await tokenRequest(newAddress(), auth)).status).toBe(400);
  });

  it("per client, after authentication: others cannot spend it, and it holds across addresses", async () => {
    const client = await registerClient();
    await spend("token:client", client.client_id);
    await expectTooManyJson(await tokenRequest(newAddress(), basicAuth(client.client_id, client.client_secret!)), 60);
    await expectTooManyJson(await tokenRequest(newAddress(), basicAuth(client.client_id, client.client_secret!)), 60);
    // Wrong credentials fail authentication first, and do not reach the client's budget.
    expect((await tokenRequest(newAddress(), basicAuth(client.client_id, "wrong"))).status).toBe(401);
    const other = await registerClient();
    expect((await tokenRequest(newAddress(), basicAuth(other.client_id, other.client_secret!))).status).toBe(400);
  });

  it("counted in batches, never beyond the budget: the last 40 places of a client's budget let exactly 40 of 70 requests through", async () => {
    const client = await registerClient();
    await spend("token:client", client.client_id, 40);
    const auth = basicAuth(client.client_id, client.client_secret!);
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await tokenRequest(newAddress(), auth)).status);
    expect(statuses.filter((s) => s === 400)).toHaveLength(40); // invalid_grant: counted, then refused for the bogus code
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    expect(statuses.slice(0, 40).every((s) => s === 400)).toBe(true);
  });
});

const post = (path: string, ip: string, body: Record<string, string>, authorization?: string) =>
  op(path, {
    method: "POST",
    headers: { "content-type": FORM, "cf-connecting-ip": ip, ...(authorization ? { authorization } : {}) },
    body: new URLSearchParams(body),
  });

describe("who may spend a budget", () => {
  it("a stranger cannot spend a public client's budget: guesses count per address only, the user's redemption goes through", async () => {
    const client = await registerClient({ token_endpoint_auth_method: "none" });
    const codes = [];
    for (let i = 0; i < 2; i++) {
      const r = await authorize(new Browser(newAddress()), client);
      codes.push({ code: r.redirect!.searchParams.get("code")!, verifier: r.verifier });
    }
    const budget = config.rateLimits["token:client"]!.count;
    await spend("token:client", client.client_id, 1);
    const guess = (ip: string) =>
      post("/token", ip, {
        grant_type: "authorization_code",
        client_id: client.client_id,
        code: b64url(crypto.getRandomValues(new Uint8Array(32))),
        redirect_uri: client.redirect_uris[0]!,
        code_verifier: "a".repeat(43),
      });
    // Garbage codes until the attacker's address is refused: the client's budget is untouched.
    const attacker = newAddress();
    await spend("token:ip", attacker, 30);
    const answers: number[] = [];
    for (let i = 0; i < 32; i++) answers.push((await guess(attacker)).status);
    expect(answers).toEqual([...Array(30).fill(400), 429, 429]);
    const refused = await guess(attacker);
    expect((await refused.json<{ error_description: string }>()).error_description).toMatch(/\(limit: RATE_LIMIT_TOKEN_IP\)$/);
    for (let i = 0; i < 20; i++) expect((await guess(newAddress())).status).toBe(400);
    expect(await countedFor("token:client", client.client_id)).toBe(budget - 1);
    // The user's redemption succeeds, and is what spends the budget.
    const redeem = ({ code, verifier }: { code: string; verifier: string }) =>
      post("/token", newAddress(), {
        grant_type: "authorization_code",
        client_id: client.client_id,
        code,
        redirect_uri: client.redirect_uris[0]!,
        code_verifier: verifier,
      });
    expect((await redeem(codes[0]!)).status).toBe(200);
    expect(await countedFor("token:client", client.client_id)).toBe(budget);
    // Over the budget, a proven request is still served; from then on the client is refused up front.
    expect((await redeem(codes[1]!)).status).toBe(200);
    await expectTooManyJson(await guess(newAddress()), 60);
  });

  it("a busy relying party is not throttled by its address: 1,300 client_credentials requests from one address in a minute all succeed", async () => {
    const client = await machineClient({ client_credentials: [{ resource: "test-api", scopes: ["read"] }] });
    const ip = newAddress();
    const auth = basicAuth(client.client_id, client.client_secret!);
    expect(1300).toBeGreaterThan(config.rateLimits["token:ip"]!.count);
    const statuses: number[] = [];
    for (let i = 0; i < 1300; i += 25) {
      const batch = await Promise.all(Array.from({ length: 25 }, () => post("/token", ip, { grant_type: "client_credentials" }, auth)));
      statuses.push(...batch.map((r) => r.status));
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Its successes were given back to the Worker's batch: the address's limiter counted barely more than the requests in flight at once.
    expect(await countedFor("token:ip", ip)).toBeLessThanOrEqual(50);
    expect(await countedFor("token:client", client.client_id)).toBeGreaterThanOrEqual(1300);
  });

  it("per address, a confidential client's failures count and its successes do not", async () => {
    const client = await machineClient({ client_credentials: [{ resource: "test-api", scopes: ["read"] }] });
    const ip = newAddress();
    const auth = basicAuth(client.client_id, client.client_secret!);
    await spend("token:ip", ip, 2);
    for (let i = 0; i < 30; i++) expect((await post("/token", ip, { grant_type: "client_credentials" }, auth)).status).toBe(200);
    expect((await post("/token", ip, { grant_type: "client_credentials", scope: "admin" }, auth)).status).toBe(400);
    expect((await post("/token", ip, { grant_type: "client_credentials" }, basicAuth(client.client_id, "wrong"))).status).toBe(401);
    await expectTooManyJson(await post("/token", ip, { grant_type: "client_credentials" }, auth), 60);
  });

  it("/introspect and /revoke: unauthenticated or failed requests count per address, a confidential client's answers do not", async () => {
    const publicClient = await registerClient({ token_endpoint_auth_method: "none" });
    const confidential = await registerClient();
    const randomToken = () => `${b64url(crypto.getRandomValues(new Uint8Array(16)))}.${b64url(crypto.getRandomValues(new Uint8Array(32)))}`;
    // A public client's revocations of unknown tokens (200, RFC 7009 §2.2) prove nothing.
    const revoker = newAddress();
    await spend("token:ip", revoker, 2);
    for (let i = 0; i < 2; i++) expect((await post("/revoke", revoker, { client_id: publicClient.client_id, token: randomToken() })).status).toBe(200);
    await expectTooManyJson(await post("/revoke", revoker, { client_id: publicClient.client_id, token: randomToken() }), 60);
    // Failed authentication at /introspect.
    const prober = newAddress();
    await spend("token:ip", prober, 2);
    for (let i = 0; i < 2; i++)
      expect((await post("/introspect", prober, { token: randomToken() }, basicAuth(confidential.client_id, "wrong"))).status).toBe(401);
    await expectTooManyJson(await post("/introspect", prober, { token: randomToken() }, basicAuth(confidential.client_id, confidential.client_secret!)), 60);
    // A resource server introspecting from an address with one place left: every answer, active or not, is given back.
    const resourceServer = newAddress();
    await spend("token:ip", resourceServer, 1);
    const auth = basicAuth(confidential.client_id, confidential.client_secret!);
    for (let i = 0; i < 10; i++) expect(await (await post("/introspect", resourceServer, { token: randomToken() }, auth)).json()).toEqual({ active: false });
    for (let i = 0; i < 10; i++) expect((await post("/revoke", resourceServer, { token: randomToken() }, auth)).status).toBe(200);
  });
});

describe("batched counting (RateLimiter.take)", () => {
  it("grants at most an eighth of what is left (at least one), never more than the limit", async () => {
    const stub = limiter(`test:take:${crypto.randomUUID()}`);
    const t0 = Date.now();
    expect(await stub.take(100, 60, 16, t0)).toEqual({ allowed: true, windowEnd: t0 + 60_000, granted: 12 });
    expect(await stub.take(100, 60, 4, t0)).toMatchObject({ granted: 4 });
    let total = 16;
    for (let i = 0; i < 200 && total < 100; i++) {
      const r = await stub.take(100, 60, 16, t0);
      if (!r.allowed) break;
      expect(r.granted).toBeLessThanOrEqual(Math.max(1, Math.floor((100 - total) / 8)));
      total += r.granted;
    }
    expect(total).toBe(100);
    expect(await stub.take(100, 60, 16, t0 + 1000)).toEqual({ allowed: false, retryAfter: 59 });
  });
});

// ------------------------------------------------------------------ registration

const register = (ip: string) =>
  op("/register", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": ip },
    body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"] }),
  });

describe("registration limit per address", () => {
  it("30 concurrent registrations for the last 10 places of an address's budget: exactly 10 clients, then 429", async () => {
    const ip = newAddress();
    await spend("register:ip", ip, 10);
    const results = await Promise.all(Array.from({ length: 30 }, () => register(ip)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(20);
    for (const res of refused) await expectTooManyJson(res, 3600);
    expect((await register(newAddress())).status).toBe(201);
  });
});

// ------------------------------------------------------------------ device user codes

describe("user code entry (RFC 8628 §5.1)", () => {
  it("limits unknown codes per address on every device page; known codes do not count", async () => {
    const client = await registerClient({ redirect_uris: undefined, grant_types: [DEVICE_GRANT] });
    const started = await (
      await op("/device_authorization", {
        method: "POST",
        headers: { "content-type": FORM, authorization: basicAuth(client.client_id, client.client_secret!) },
        body: "scope=openid",
      })
    ).json<{ user_code: string }>();
    const browser = new Browser(newAddress());
    const html = await (await browser.fetch("/device")).text();
    const csrf = parseForms(html)[0]!.hidden.csrf!;
    const post = (path: string, userCode: string) =>
      browser.fetch(path, {
        method: "POST",
        headers: { "content-type": FORM },
        body: new URLSearchParams({ csrf, user_code: userCode, decision: "approve", action: "login" }),
      });
    const limit = config.rateLimits["device:ip"]!.count;
    // The real code, looked up again and again, is never refused.
    for (let i = 0; i < limit + 5; i++) expect((await post("/device", started.user_code)).status).toBe(200);
    // Guesses, on whichever page looks a code up.
    const paths = ["/device", "/device/login", "/device/consent"];
    for (let i = 0; i < limit; i++) expect((await post(paths[i % 3]!, `BCDF-GHJ${"BCDFGHJKLMNPQRSTVWXZ"[i]}`)).status).toBe(400);
    for (const path of paths) {
      const refused = await post(path, started.user_code);
      await expectTooMany(refused, 60);
      const page = await refused.text();
      expect(page).toContain("Too many unknown codes");
      expect(parseForms(page).some((f) => f.action === "/device")).toBe(true);
    }
    // Another address still gets in.
    const other = new Browser(newAddress());
    const otherHtml = await (await other.fetch("/device")).text();
    expect((await other.submit(otherHtml, "/device", { user_code: started.user_code })).status).toBe(200);
  });
});
