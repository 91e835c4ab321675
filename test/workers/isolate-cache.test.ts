import { clearIsolateCaches, isolateCache } from "@op/core";
import { describe, expect, it } from "vitest";

/** The one per-isolate cache primitive (core/src/cache.ts): bounds, expiry, single flight, clearing. */
let n = 0;
const cache = <V>(maxEntries = 3, maxAgeMs = 1_000) => isolateCache<string, V>({ name: `test-${n++}`, maxEntries, maxAgeMs });
const deferred = <T>() => {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("isolateCache", () => {
  it("refuses a cache without bounds", () => {
    expect(() => isolateCache({ name: "x", maxEntries: 0, maxAgeMs: 1 })).toThrow();
    expect(() => isolateCache({ name: "x", maxEntries: 1, maxAgeMs: 0 })).toThrow();
    expect(() => isolateCache({ name: "x", maxEntries: Number.NaN, maxAgeMs: 1 })).toThrow();
  });

  it("keeps at most maxEntries, dropping the least recently used", () => {
    const c = cache<number>(3);
    c.set("a", 1, { now: 0 });
    c.set("b", 2, { now: 0 });
    c.set("c", 3, { now: 0 });
    expect(c.get("a", 1)).toBe(1); // a is now the most recently used
    c.set("d", 4, { now: 1 });
    expect(c.size).toBe(3);
    expect(c.get("b", 1)).toBeUndefined();
    expect([c.get("a", 1), c.get("c", 1), c.get("d", 1)]).toEqual([1, 3, 4]);
  });

  it("serves nothing older than maxAgeMs, and a value's own shorter lifetime is kept", () => {
    const c = cache<string>(10, 1_000);
    c.set("k", "v", { now: 0 });
    expect(c.get("k", 999)).toBe("v");
    expect(c.get("k", 1_000)).toBeUndefined();
    expect(c.size).toBe(0);
    c.set("short", "v", { now: 0, maxAgeMs: 100 });
    expect(c.get("short", 99)).toBe("v");
    expect(c.get("short", 100)).toBeUndefined();
    c.set("long", "v", { now: 0, maxAgeMs: 60_000 }); // never longer than the cache's bound
    expect(c.get("long", 1_000)).toBeUndefined();
    c.set("none", "v", { now: 0, maxAgeMs: 0 });
    expect(c.get("none", 0)).toBeUndefined();
  });

  it("never shares a load in flight: each concurrent miss loads and is kept unless a later-begun one is, its age counted from when it began", async () => {
    const c = cache<string>(10, 1_000);
    const [first, second, third] = [deferred<string>(), deferred<string>(), deferred<string>()];
    const loads = [first, second, third];
    let n = 0;
    const loader = () => loads[n++]?.promise ?? Promise.reject(new Error("unexpected load"));
    const waiting = loads.map((_, i) => c.getOrLoad("k", loader, { now: i }));
    expect(n).toBe(3);
    // Overlapping loads are kept as they finish (a steady stream of misses still fills the cache)...
    second.resolve("second");
    await waiting[1];
    expect(c.get("k", 2)).toBe("second");
    // ...but never replace a value whose load began later.
    third.resolve("third");
    first.resolve("first");
    expect(await Promise.all(waiting)).toEqual(["first", "second", "third"]);
    expect(c.get("k", 2)).toBe("third");
    expect(await c.getOrLoad("k", loader, { now: 1_001 })).toBe("third");
    expect(n).toBe(3);
    expect(c.get("k", 1_002)).toBeUndefined(); // began at 2, kept 1,000 ms
  });

  it("keeps nothing from a failed load, and a concurrent load is not affected by it", async () => {
    const c = cache<string>();
    const failing = deferred<string>();
    const a = c.getOrLoad("k", () => failing.promise);
    failing.reject(new Error("down"));
    await expect(a).rejects.toThrow("down");
    expect(c.size).toBe(0);

    const slow = deferred<string>();
    const b = c.getOrLoad("k", () => slow.promise);
    const d = c.getOrLoad("k", () => Promise.reject(new Error("down")));
    await expect(d).rejects.toThrow("down");
    slow.resolve("ok");
    expect(await b).toBe("ok");
    expect(c.get("k")).toBe("ok");
    expect(await c.getOrLoad("k", () => Promise.resolve("again"))).toBe("ok");
  });

  it("takes the lifetime from the loaded value, and reloads a value the caller no longer wants", async () => {
    const c = cache<{ v: number; ttl: number }>(10, 10_000);
    let v = 0;
    const load = () => Promise.resolve({ v: ++v, ttl: 50 });
    const maxAgeMs = (x: { ttl: number }) => x.ttl;
    expect((await c.getOrLoad("k", load, { now: 0, maxAgeMs })).v).toBe(1);
    expect((await c.getOrLoad("k", load, { now: 49, maxAgeMs })).v).toBe(1);
    expect((await c.getOrLoad("k", load, { now: 50, maxAgeMs })).v).toBe(2);
    expect((await c.getOrLoad("k", load, { now: 60, maxAgeMs, reload: (x) => x.v < 3 })).v).toBe(3);
    expect((await c.getOrLoad("k", load, { now: 61, maxAgeMs: () => 0 })).v).toBe(3);
    expect((await c.getOrLoad("k", load, { now: 200, maxAgeMs: () => 0 })).v).toBe(4); // loaded, not kept
    expect(c.size).toBe(0);
  });

  it("delete and clearIsolateCaches drop entries and loads in flight (which still answer their own request)", async () => {
    const a = cache<string>();
    const b = cache<string>();
    a.set("k", "a");
    b.set("k", "b");
    const slow = deferred<string>();
    const inFlight = a.getOrLoad("slow", () => slow.promise);
    clearIsolateCaches();
    expect([a.size, b.size, a.get("k"), b.get("k")]).toEqual([0, 0, undefined, undefined]);
    slow.resolve("late");
    expect(await inFlight).toBe("late");
    expect(a.get("slow")).toBeUndefined();

    const again = deferred<string>();
    const pending = a.getOrLoad("x", () => again.promise);
    a.delete("x");
    again.resolve("stale");
    expect(await pending).toBe("stale");
    expect(a.get("x")).toBeUndefined();
  });
});
