import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createKeysTable, KEY_ACTIVATION_DELAY_MS, keyStore } from "@op/storage";
import { signingKey } from "@op/tokens";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { completeFlow, ISSUER, op, TEST_ADMIN_TOKEN } from "./helpers";

const published = async () => (await op("/jwks")).json<{ keys: Record<string, string>[] }>();
/** The signing keys; the `use: "enc"` keys (request object encryption) are checked on their own. */
const jwks = async () => {
  const { keys } = await published();
  return { keys: keys.filter((k) => k.use === "sig") };
};
const rotate = () => op("/admin/keys/rotate", { method: "POST", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });

describe("signing keys", () => {
  // Storage is fresh for this file, so these are the very first key-store requests.
  it("are generated once when the first requests arrive concurrently", async () => {
    const sets = await Promise.all(Array.from({ length: 20 }, jwks));
    const kids = sets.map((s) =>
      s.keys
        .map((k) => k.kid)
        .sort()
        .join(","),
    );
    expect(new Set(kids).size).toBe(1);
    expect(sets[0]!.keys).toHaveLength(2);
  });

  it("publish RS256 and ES256 public keys with unique kids and no private parts", async () => {
    const { keys } = await jwks();
    expect(keys.map((k) => k.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(new Set(keys.map((k) => k.kid)).size).toBe(keys.length);
    for (const k of keys) for (const priv of ["d", "p", "q", "dp", "dq", "qi"]) expect(k).not.toHaveProperty(priv);
  });

  it("publish one RSA and one EC encryption key, use enc, no private parts, distinct kids", async () => {
    const keys = (await published()).keys.filter((k) => k.use === "enc");
    expect(keys.map((k) => k.kty).sort()).toEqual(["EC", "RSA"]);
    for (const k of keys) for (const priv of ["d", "p", "q", "dp", "dq", "qi"]) expect(k).not.toHaveProperty(priv);
    const signing = (await jwks()).keys.map((k) => k.kid);
    for (const k of keys) expect(signing).not.toContain(k.kid);
  });

  it("rotation publishes new keys before they sign, keeps the previous ones published, then an alarm drops them", async () => {
    const { tokens } = await completeFlow();
    const stub = keyStore(env);
    // The store's set: /jwks is cached in the Worker for up to half the activation delay.
    const stored = async () => (await stub.jwks()).keys.map((k) => k.kid);
    const before = await stored();
    const rotatedAt = Date.now();
    const res = await rotate();
    expect(res.status).toBe(200);
    const { kids, retired, active_from } = await res.json<{ kids: string[]; retired: string[]; active_from: number }>();
    expect(retired.sort()).toEqual([...before].sort());
    expect(active_from * 1000).toBeGreaterThanOrEqual(rotatedAt + KEY_ACTIVATION_DELAY_MS - 1000);
    const after = await stored();
    expect(after.slice(0, 2).sort()).toEqual([...kids].sort()); // new keys first
    expect(after).toEqual(expect.arrayContaining(before));
    // A token signed before the rotation still verifies against the published set, and at userinfo.
    await jwtVerify(tokens.id_token, createLocalJWKSet(await stub.jwks()), { issuer: ISSUER });
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    // Until the new keys' time, the old ones keep signing (every Worker's cached keys agree)...
    const fresh = await completeFlow();
    const kidOf = (jwt: string) => JSON.parse(atob(jwt.split(".")[0]!)).kid as string;
    expect(before).toContain(kidOf(fresh.tokens.id_token));
    expect(before).toContain(kidOf(fresh.tokens.access_token));
    // ...and from then on the new ones, once a Worker's cache (at most that old) is refreshed.
    const later = active_from * 1000 + 1;
    for (const alg of ["RS256", "ES256"] as const) {
      expect(before).toContain((await signingKey(env, alg, later - 2)).kid);
      expect(kids).toContain((await signingKey(env, alg, later + KEY_ACTIVATION_DELAY_MS)).kid);
    }

    // Before the overlap ends the alarm keeps the retired keys; after it, they go.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await stored()).toHaveLength(4);
    await runInDurableObject(stub, async (instance, state) => {
      state.storage.sql.exec("UPDATE keys SET retired_at = 0 WHERE retired_at IS NOT NULL");
      await instance.alarm();
    });
    expect((await stored()).sort()).toEqual([...kids].sort());
  });

  it("a key store created before pre-published rotation gets its keys' activation column", async () => {
    const legacy = env.KEY_STORE.get(env.KEY_STORE.idFromName("legacy-schema-test"));
    await runInDurableObject(legacy, async (_instance, state) => {
      // Rebuild the table as it was stored before the column existed, with one key in it.
      const rows = state.storage.sql.exec("SELECT kid, alg, private_jwk, public_jwk, created_at FROM keys").toArray();
      state.storage.sql.exec("DROP TABLE keys");
      state.storage.sql.exec(
        "CREATE TABLE keys (kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL, created_at INTEGER NOT NULL, retired_at INTEGER)",
      );
      for (const r of rows) state.storage.sql.exec("INSERT INTO keys VALUES (?, ?, ?, ?, ?, NULL)", r.kid, r.alg, r.private_jwk, r.public_jwk, r.created_at);
    });
    const kids = (await legacy.jwks()).keys.map((k) => k.kid);
    // What the constructor runs on every start, as after a deploy.
    await runInDurableObject(legacy, (_instance, state) => {
      createKeysTable(state.storage.sql);
      createKeysTable(state.storage.sql); // and again: a no-op
      expect(
        state.storage.sql
          .exec("SELECT name FROM pragma_table_info('keys')")
          .toArray()
          .map((c) => c.name),
      ).toContain("active_from");
    });
    const signing = (await legacy.signingKeys()).keys;
    expect(signing.map((k) => k.kid).sort()).toEqual([...kids].sort()); // the same keys, signing since creation
    expect(signing.every((k) => k.activeFrom === 0 && k.retiredAt === null)).toBe(true);
  });

  it("the admin API refuses a missing or wrong token", async () => {
    expect((await op("/admin/keys/rotate", { method: "POST" })).status).toBe(401);
    const res = await op("/admin/keys/rotate", { method: "POST", headers: { authorization: "Bearer nope" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_token" });
  });
});
