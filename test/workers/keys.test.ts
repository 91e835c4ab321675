import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { keyStore } from "@op/common";
import { completeFlow, ISSUER, op, TEST_ADMIN_TOKEN } from "./helpers";

const jwks = async () => (await op("/jwks")).json<{ keys: Record<string, string>[] }>();
const rotate = () => op("/admin/keys/rotate", { method: "POST", headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });

describe("signing keys", () => {
  // Storage is fresh for this file, so these are the very first key-store requests.
  it("are generated once when the first requests arrive concurrently", async () => {
    const sets = await Promise.all(Array.from({ length: 20 }, jwks));
    const kids = sets.map((s) => s.keys.map((k) => k.kid).sort().join(","));
    expect(new Set(kids).size).toBe(1);
    expect(sets[0]!.keys).toHaveLength(2);
  });

  it("publish RS256 and ES256 public keys with unique kids and no private parts", async () => {
    const { keys } = await jwks();
    expect(keys.map((k) => k.alg).sort()).toEqual(["ES256", "RS256"]);
    expect(new Set(keys.map((k) => k.kid)).size).toBe(keys.length);
    for (const k of keys) for (const priv of ["d", "p", "q", "dp", "dq", "qi"]) expect(k).not.toHaveProperty(priv);
  });

  it("rotation keeps the previous keys published and their tokens valid, then an alarm drops them", async () => {
    const { tokens } = await completeFlow();
    const before = (await jwks()).keys.map((k) => k.kid);
    const res = await rotate();
    expect(res.status).toBe(200);
    const { kids, retired } = await res.json<{ kids: string[]; retired: string[] }>();
    expect(retired.sort()).toEqual([...before].sort());
    const after = (await jwks()).keys.map((k) => k.kid);
    expect(after.slice(0, 2).sort()).toEqual([...kids].sort()); // new keys first
    expect(after).toEqual(expect.arrayContaining(before));
    // A token signed before the rotation still verifies against the published set, and at userinfo.
    await jwtVerify(tokens.id_token, createLocalJWKSet(await jwks()), { issuer: ISSUER });
    expect((await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    // New tokens are signed with the new key.
    const fresh = await completeFlow();
    const header = JSON.parse(atob(fresh.tokens.id_token.split(".")[0]));
    expect(kids).toContain(header.kid);

    const stub = keyStore(env);
    // Before the overlap ends the alarm keeps the retired keys; after it, they go.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await jwks()).keys).toHaveLength(4);
    await runInDurableObject(stub, async (instance, state) => {
      state.storage.sql.exec("UPDATE keys SET retired_at = 0 WHERE retired_at IS NOT NULL");
      await instance.alarm();
    });
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([...kids].sort());
  });

  it("the admin API refuses a missing or wrong token", async () => {
    expect((await op("/admin/keys/rotate", { method: "POST" })).status).toBe(401);
    const res = await op("/admin/keys/rotate", { method: "POST", headers: { authorization: "Bearer nope" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_token" });
  });
});
