/**
 * The one per-isolate cache. A Worker's module state lives as long as its isolate and is shared
 * by every request the isolate serves, so anything kept there must say how much it keeps and
 * for how long. Every such cache is made here, with explicit bounds:
 *
 * - `maxEntries`: beyond it the least recently used entry goes (a `get` that hits counts as a use);
 * - `maxAgeMs`: no entry is served older than that, counted from when its load began (a value
 *   read just before a change is never served longer than the bound); `Infinity` only for values
 *   that cannot go stale (derived from configuration, or from an immutable key);
 * - per entry, a shorter lifetime of the value's own (`set`'s `maxAgeMs`, `getOrLoad`'s
 *   `maxAgeMs(value)`, e.g. from `Cache-Control`); 0 or less means "do not keep".
 *
 * `getOrLoad` shares values, never loads in flight: a request never awaits another request's
 * load, since workerd cancels the waiter when the loading request ends first ("the code had
 * hung") and its I/O objects belong to that request. Concurrent misses each load, and each
 * result is kept unless a later-begun one already is; a failed load is not kept. `clearIsolateCaches()` empties every cache of the
 * calling isolate (tests; a Worker's sibling isolates are not reached). Make caches at module
 * level only: each registers itself for the isolate's life.
 */
export interface IsolateCacheOptions {
  /** For tests and logs; say what is cached. */
  name: string;
  maxEntries: number;
  maxAgeMs: number;
}

export interface LoadOptions<V> {
  /** The clock (tests pass a later one); defaults to `Date.now()`. */
  now?: number;
  /** The loaded value's own lifetime in ms when shorter than the cache's bound; 0 or less: not kept. */
  maxAgeMs?: (value: V) => number;
  /** True for a cached value that must be loaded again now (e.g. a key set without the wanted kid). */
  reload?: (value: V) => boolean;
}

export interface IsolateCache<K, V> {
  readonly name: string;
  readonly size: number;
  get(key: K, now?: number): V | undefined;
  set(key: K, value: V, opts?: { maxAgeMs?: number; now?: number }): void;
  delete(key: K): void;
  getOrLoad(key: K, load: () => Promise<V>, opts?: LoadOptions<V>): Promise<V>;
  clear(): void;
}

interface Entry<V> {
  value: V;
  /** When its load began (or it was set): an older load finishing later does not replace it. */
  startedAt: number;
  expiresAt: number;
}

const registry = new Set<{ clear(): void }>();

/** Empties every isolate cache of this isolate; loads in flight complete but are not kept. */
export function clearIsolateCaches(): void {
  for (const cache of registry) cache.clear();
}

export function isolateCache<K, V>({ name, maxEntries, maxAgeMs }: IsolateCacheOptions): IsolateCache<K, V> {
  if (!(maxEntries >= 1) || !(maxAgeMs > 0)) throw new Error(`isolate cache ${name}: maxEntries and maxAgeMs must be positive`);
  // A Map iterates in insertion order; re-inserting on use makes its first key the least recently used.
  const entries = new Map<K, Entry<V>>();
  /** Counts `delete` and `clear` calls: a load that began before one is not kept (any key, for simplicity). */
  let generation = 0;

  const store = (key: K, value: V, started: number, ownMaxAgeMs: number) => {
    const lifetime = Math.min(maxAgeMs, ownMaxAgeMs);
    entries.delete(key);
    if (!(lifetime > 0)) return;
    while (entries.size >= maxEntries) entries.delete(entries.keys().next().value as K);
    entries.set(key, { value, startedAt: started, expiresAt: started + lifetime });
  };

  const fresh = (key: K, now: number): Entry<V> | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    entries.delete(key);
    if (now >= entry.expiresAt) return undefined;
    entries.set(key, entry);
    return entry;
  };

  const cache: IsolateCache<K, V> = {
    name,
    get size() {
      return entries.size;
    },
    get: (key, now = Date.now()) => fresh(key, now)?.value,
    set: (key, value, opts = {}) => store(key, value, opts.now ?? Date.now(), opts.maxAgeMs ?? maxAgeMs),
    delete: (key) => {
      entries.delete(key);
      generation++; // a load in flight still answers its request, but is not kept
    },
    async getOrLoad(key, load, opts = {}) {
      const started = opts.now ?? Date.now();
      const hit = fresh(key, started);
      if (hit && !opts.reload?.(hit.value)) return hit.value;
      const began = generation;
      const value = await load();
      // Kept unless `delete` or `clear` came in between, or a load begun later was kept already.
      const kept = entries.get(key);
      if (began === generation && !(kept && kept.startedAt > started)) store(key, value, started, opts.maxAgeMs?.(value) ?? maxAgeMs);
      return value;
    },
    clear() {
      entries.clear();
      generation++;
    },
  };
  registry.add(cache);
  return cache;
}
