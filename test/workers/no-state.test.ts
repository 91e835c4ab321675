import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import {
  clientObject,
  deviceAuthorizationObject,
  grantObject,
  interactionObject,
  loginStreak,
  pushedRequestObject,
  sessionObject,
  userByUsername,
} from "@op/storage";
import { describe, expect, it } from "vitest";
import { b64json, b64url, basicAuth, codeRequestParams, op, type RegisteredClient, registerClient } from "./helpers";

/**
 * Invalid requests create no state (issue 11 point 4). More than a thousand requests, each
 * naming an artifact that does not exist (a code, a refresh token, a device code, a user code, a
 * PAR reference, an interaction, a session, a client, a token), spread over every endpoint that
 * looks one up; then every Durable Object that appeared meanwhile is opened and must hold no
 * stored data and no alarm. Only rate-limit counters may be written, and each of those must have
 * the alarm that deletes it.
 *
 * How it is measured: locally workerd keeps a SQLite file for every object that was merely
 * instantiated, so `listDurableObjectIds` (which lists those files) counts objects that were
 * only read. It tells which objects the requests reached (the test asserts that they did); what
 * counts as stored state is what is inside each: any table at all in `sqlite_master` (the KV API
 * keeps its entries in `_cf_KV`, created by the first put or even delete; an alarm creates
 * `_cf_METADATA`), or an alarm. A fresh object that was only read has neither, which is what
 * Cloudflare does not persist. Storage is per test file, so nothing else runs in these namespaces.
 */

const NAMES = [
  "CLIENTS",
  "USERS",
  "SESSIONS",
  "INTERACTIONS",
  "GRANTS",
  "REPLAY_GUARD",
  "DEVICE_AUTHORIZATIONS",
  "RATE_LIMITER",
  "PUSHED_AUTHORIZATION_REQUESTS",
  "KEY_STORE",
] as const;
type Namespace = (typeof NAMES)[number];
/** Every class of ours, listed and inspected alike (as untyped namespaces: no method is called). */
const NAMESPACES = env as unknown as Record<Namespace, DurableObjectNamespace<undefined>>;

const FORM = "application/x-www-form-urlencoded";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

const random = (bytes: number) => b64url(crypto.getRandomValues(new Uint8Array(bytes)));
const randomCode = () => random(32); // 43 characters, the shape of a real code
const randomRefreshToken = () => `${random(16)}.${random(32)}`;
const randomUserCode = () => Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => USER_CODE_ALPHABET[b % 20]).join("");
const randomJwt = () => `${b64json({ alg: "ES256", typ: "at+jwt", kid: random(8) })}.${b64json({ sub: random(8), exp: 9999999999 })}.${random(64)}`;

async function idsOf(): Promise<Record<Namespace, Set<string>>> {
  const entries = await Promise.all(
    NAMES.map(async (name) => [name, new Set((await listDurableObjectIds(NAMESPACES[name])).map((id) => id.toString()))] as const),
  );
  return Object.fromEntries(entries) as Record<Namespace, Set<string>>;
}

/** What an object stores: its tables (any, the KV API's and the alarm's included) and its alarm. */
function storedState(name: Namespace, id: string): Promise<{ tables: string[]; alarm: number | null }> {
  const ns = NAMESPACES[name];
  return runInDurableObject(ns.get(ns.idFromString(id)), async (_instance, state) => ({
    tables: state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name),
    alarm: await state.storage.getAlarm(),
  }));
}

const kvKeys = async () => (await env.CLIENT_CACHE.list()).keys.map((k) => k.name).sort();

describe("invalid requests create no state", () => {
  it("every method a stranger's request can reach writes nothing for a record that does not exist", async () => {
    const missing = () => `missing-${crypto.randomUUID()}`;
    /** A stub of an object that has never stored anything, with the namespace to inspect it in. */
    const fresh = <S extends { id: DurableObjectId }>(name: Namespace, stub: S) => ({ name, id: stub.id.toString(), stub });
    const grant = () => fresh("GRANTS", grantObject(env, missing()));
    const touched: { name: Namespace; id: string }[] = [];
    const call = async (target: { name: Namespace; id: string }, run: () => unknown): Promise<unknown> => {
      touched.push(target);
      return await run();
    };
    const secret = random(32);
    const g = [grant(), grant(), grant(), grant(), grant(), grant()] as const;
    expect(
      await call(g[0], () =>
        g[0].stub.redeemCode({ clientId: "c", grantTypes: ["authorization_code"], redirectUri: "https://rp.example.com/cb", resources: [] }),
      ),
    ).toEqual({ status: "not_found" });
    expect(await call(g[1], () => g[1].stub.rotate(secret, "c"))).toEqual({ status: "invalid" });
    expect(await call(g[2], () => g[2].stub.refreshTokenStatus(secret))).toBeNull();
    expect(await call(g[3], () => g[3].stub.revokeRefreshToken(secret, "c"))).toBe(false);
    expect(await call(g[4], () => g[4].stub.revokeAccessToken("jti", "c"))).toBe(false);
    expect(await call(g[5], () => g[5].stub.status("jti"))).toBeNull();
    const d = fresh(
      "DEVICE_AUTHORIZATIONS",
      deviceAuthorizationObject(
        env,
        "BCDFGHJK".replace(/./g, () => "BCDFGHJKLMNPQRSTVWXZ"[Math.floor(Math.random() * 20)]!),
      ),
    );
    expect(await call(d, () => d.stub.poll(secret, "c"))).toEqual({ status: "invalid" });
    expect(await call(d, () => d.stub.pending())).toBeNull();
    const approval = { sub: "s", sid: "sid", authTime: 1, acr: "0", amr: ["pwd"] };
    expect(await call(d, () => d.stub.approve(approval))).toBe(false);
    expect(await call(d, () => d.stub.deny())).toBe(false);
    const par = fresh("PUSHED_AUTHORIZATION_REQUESTS", pushedRequestObject(env, random(32)));
    expect(await call(par, () => par.stub.consume("c"))).toEqual({ status: "unknown" });
    const session = fresh("SESSIONS", sessionObject(env, random(32)));
    expect(await call(session, () => session.stub.get())).toBeNull();
    await call(session, () => session.stub.addClient("c"));
    expect(await call(session, () => session.stub.end())).toBeNull();
    const interaction = fresh("INTERACTIONS", interactionObject(env, missing()));
    expect(await call(interaction, () => interaction.stub.get())).toBeNull();
    expect(await call(interaction, () => interaction.stub.update({ loggedInSid: "sid" }))).toBe(false);
    expect(await call(interaction, () => interaction.stub.finish())).toBeNull();
    const client = fresh("CLIENTS", clientObject(env, missing()));
    expect(await call(client, () => client.stub.get())).toBeNull();
    expect(await call(client, () => client.stub.sealedSecrets())).toBeNull();
    expect(await call(client, () => client.stub.authenticateSecret(secret))).toBeNull();
    expect(await call(client, () => client.stub.checkRegistrationToken(secret))).toBeNull();
    expect(await call(client, () => client.stub.rotateSecret("h", undefined, 1000))).toBe(false);
    const user = fresh("USERS", userByUsername(env, missing()));
    expect(await call(user, () => user.stub.profile())).toBeNull();
    expect(await call(user, () => user.stub.authenticate("whatever-password"))).toBeNull();
    expect(await call(user, () => user.stub.consent("c"))).toBeNull();
    await call(user, () => user.stub.revokeConsent("c"));
    const limiter = fresh("RATE_LIMITER", loginStreak(env, missing()));
    await call(limiter, () => limiter.stub.refund(Date.now() + 60_000));
    const attempt = await limiter.stub.attempt({ threshold: 5, initialBackoff: 1, maxBackoff: 900 });
    if (!attempt.allowed) throw new Error("refused");
    await call(limiter, () => limiter.stub.succeeded(attempt.attempt)); // a first sign-in that succeeds
    const written = [];
    for (const { name, id } of new Map(touched.map((t) => [t.id, t])).values()) {
      const state = await storedState(name, id);
      if (state.tables.length || state.alarm !== null) written.push({ name, ...state });
    }
    expect(written).toEqual([]);
  });

  it("1,100 requests naming artifacts that do not exist, on every endpoint that looks one up, leave no stored data but expiring rate-limit counters", async () => {
    const confidential = await registerClient({ grant_types: ["authorization_code", "refresh_token", DEVICE_GRANT] });
    const publicClient = await registerClient({ token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token", DEVICE_GRANT] });
    const basic = basicAuth(confidential.client_id, confidential.client_secret!);
    const authorizeUrl = async (client: RegisteredClient, extra: Record<string, string>) => {
      const { params } = await codeRequestParams(client.redirect_uris[0]!, extra);
      return `/authorize?${new URLSearchParams({ client_id: client.client_id, ...params })}`;
    };

    /** One kind of invalid request; `ip` spreads them over addresses so that no per-address budget runs out. */
    type Probe = (ip: string) => Promise<Response>;
    const form =
      (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
      (ip: string) =>
        op(path, { method: "POST", headers: { "content-type": FORM, "cf-connecting-ip": ip, ...headers }, body: new URLSearchParams(body) });
    const get =
      (path: string, headers: Record<string, string> = {}) =>
      (ip: string) =>
        op(path, { headers: { "cf-connecting-ip": ip, ...headers } });
    const deviceForm = (path: string) => (ip: string) => {
      const csrf = random(16);
      return op(path, {
        method: "POST",
        headers: { "content-type": FORM, "cf-connecting-ip": ip, cookie: `op_device_csrf=${csrf}` },
        body: new URLSearchParams({ csrf, user_code: randomUserCode(), username: "nobody", password: "whatever-password", decision: "approve" }),
      });
    };
    const interactionForm = (step: string) => (ip: string) => {
      const uid = random(16).slice(0, 22);
      return op(`/interaction/${uid}${step}`, {
        method: "POST",
        headers: { "content-type": FORM, "cf-connecting-ip": ip, cookie: `op_interaction=${random(32)}` },
        body: new URLSearchParams({ csrf: random(16), username: "alice", password: "alice-password", decision: "approve" }),
      });
    };
    /** An error sent back to the client's redirect URI (RFC 6749 §4.1.2.1), never an interaction. */
    const errorRedirect = (error: string) => (res: Response) => res.status === 303 && new URL(res.headers.get("location")!).searchParams.get("error") === error;
    const probes: [string, () => Probe, number | ((res: Response) => boolean)][] = [
      // [what, a fresh probe, the status it answers (or a check of the response)]
      [
        "code (confidential)",
        () =>
          form(
            "/token",
            { grant_type: "authorization_code", code: randomCode(), redirect_uri: confidential.redirect_uris[0]!, code_verifier: "a".repeat(43) },
            { authorization: basic },
          ),
        400,
      ],
      [
        "code (public)",
        () =>
          form("/token", {
            grant_type: "authorization_code",
            client_id: publicClient.client_id,
            code: randomCode(),
            redirect_uri: publicClient.redirect_uris[0]!,
            code_verifier: "a".repeat(43),
          }),
        400,
      ],
      [
        "refresh token (confidential)",
        () => form("/token", { grant_type: "refresh_token", refresh_token: randomRefreshToken() }, { authorization: basic }),
        400,
      ],
      [
        "refresh token (public)",
        () => form("/token", { grant_type: "refresh_token", client_id: publicClient.client_id, refresh_token: randomRefreshToken() }),
        400,
      ],
      ["device code", () => form("/token", { grant_type: DEVICE_GRANT, device_code: `${randomUserCode()}.${random(32)}` }, { authorization: basic }), 400],
      [
        "revoke refresh token (public)",
        () => form("/revoke", { client_id: publicClient.client_id, token: randomRefreshToken(), token_type_hint: "refresh_token" }),
        200,
      ],
      ["revoke refresh token (confidential)", () => form("/revoke", { token: randomRefreshToken() }, { authorization: basic }), 200],
      ["revoke access token", () => form("/revoke", { token: randomJwt(), token_type_hint: "access_token" }, { authorization: basic }), 200],
      ["introspect refresh token", () => form("/introspect", { token: randomRefreshToken() }, { authorization: basic }), 200],
      ["introspect access token", () => form("/introspect", { token: randomJwt() }, { authorization: basic }), 200],
      ["userinfo", () => get("/userinfo", { authorization: `Bearer ${randomJwt()}` }), 401],
      [
        "authorize with a request_uri",
        () => async (ip) => get(await authorizeUrl(confidential, { request_uri: `urn:ietf:params:oauth:request_uri:${randomCode()}` }))(ip),
        errorRedirect("invalid_request_uri"),
      ],
      [
        "authorize with a session cookie",
        () => async (ip) => get(await authorizeUrl(confidential, { prompt: "none" }), { cookie: `op_session=${randomCode()}` })(ip),
        errorRedirect("login_required"),
      ],
      ["interaction page", () => get(`/interaction/${random(16).slice(0, 22)}`, { cookie: `op_interaction=${random(32)}` }), 400],
      ["interaction login", () => interactionForm("/login"), 400],
      ["interaction consent", () => interactionForm("/consent"), 400],
      ["user code", () => deviceForm("/device"), 400],
      ["user code at login", () => deviceForm("/device/login"), 400],
      ["user code at consent", () => deviceForm("/device/consent"), 400],
      ["logout with a session cookie", () => get("/session/end", { cookie: `op_session=${randomCode()}` }), 200],
      ["PAR by an unknown client", () => form("/par", { client_id: random(16), response_type: "code", redirect_uri: "https://rp.example.com/cb" }), 401],
      ["token by an unknown client", () => form("/token", { grant_type: "client_credentials" }, { authorization: basicAuth(random(16), random(32)) }), 401],
      [
        "client assertion of an unknown client",
        () => {
          const id = random(16);
          const assertion = `${b64json({ alg: "RS256" })}.${b64json({ iss: id, sub: id, aud: "x", exp: 9999999999, jti: random(16) })}.${random(64)}`;
          return form("/token", {
            grant_type: "client_credentials",
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion: assertion,
          });
        },
        401,
      ],
      ["registration management", () => get(`/register/${random(16)}`, { authorization: `Bearer ${random(32)}` }), 401],
    ];

    // The OP's own singletons, created on first use by any request: the key store's signing keys.
    expect((await op("/jwks")).status).toBe(200);
    const kvBefore = await kvKeys();
    const before = await idsOf();
    const started = Date.now();
    const unexpected: string[] = [];
    const perAddress = 10;
    const total = 1100;
    for (let i = 0; i < total; i += perAddress) {
      const ip = `2001:db8:0:${(i / perAddress).toString(16)}::1`; // one /64 per 10 requests
      await Promise.all(
        Array.from({ length: perAddress }, async (_, j) => {
          const [what, probe, expected] = probes[(i + j) % probes.length]!;
          const res = await probe()(ip);
          if (typeof expected === "number" ? res.status !== expected : !expected(res))
            unexpected.push(`${what}: ${res.status} ${res.headers.get("location") ?? ""} ${(await res.text()).slice(0, 200)}`);
          else await res.body?.cancel();
        }),
      );
    }
    expect(unexpected).toEqual([]);
    console.log(`requests: ${Date.now() - started} ms`);

    const after = await idsOf();
    const reached: Record<string, number> = {};
    const stored: string[] = [];
    const counters: { tables: string[]; alarm: number | null }[] = [];
    for (const name of NAMES) {
      const fresh = [...after[name]].filter((id) => !before[name].has(id));
      reached[name] = fresh.length;
      for (const id of fresh) {
        const state = await storedState(name, id);
        if (name === "RATE_LIMITER") counters.push(state);
        else if (state.tables.length || state.alarm !== null) stored.push(`${name} ${id}: ${JSON.stringify(state)}`);
      }
    }
    console.log("objects reached:", JSON.stringify(reached), "rate-limit counters:", counters.length);
    // The requests reached the objects they name (so the check below is not vacuous)…
    expect(reached.GRANTS).toBeGreaterThanOrEqual(250);
    expect(reached.DEVICE_AUTHORIZATIONS).toBeGreaterThanOrEqual(150);
    expect(reached.PUSHED_AUTHORIZATION_REQUESTS).toBeGreaterThanOrEqual(40);
    expect(reached.INTERACTIONS).toBeGreaterThanOrEqual(120);
    expect(reached.SESSIONS).toBeGreaterThanOrEqual(80);
    expect(reached.CLIENTS).toBeGreaterThanOrEqual(150);
    // …and none of them stores anything.
    expect(stored).toEqual([]);
    // Rate-limit counters are the one legitimate write, and each expires by its alarm.
    expect(counters.length).toBeGreaterThan(0);
    for (const counter of counters.filter((c) => c.tables.length)) expect(counter.alarm).not.toBeNull();
    expect(await kvKeys()).toEqual(kvBefore);
  }, 300_000);
});
