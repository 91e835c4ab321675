#!/usr/bin/env node
// Measures the cost of one password verification (PBKDF2-HMAC-SHA-256) inside workerd, the
// runtime Cloudflare runs. Workers freeze their clocks while computing, so the time is taken
// from outside: a request doing N+1 derivations minus one doing 1, divided by N.
// Usage: node scripts/bench/password-hash.mjs [iterations=100000]
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const iterations = Number(process.argv[2] ?? 100_000);
const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    compatibilityDate: "2026-11-01",
    script: `export default { async fetch(req) {
    const n = Number(new URL(req.url).searchParams.get("n"));
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("alice-password"), "PBKDF2", false, ["deriveBits"]);
    const salt = crypto.getRandomValues(new Uint8Array(16));
    for (let i = 0; i < n; i++) await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: ${iterations} }, key, 256);
    return new Response("ok");
  } }`,
  }),
);
const time = async (n) => {
  const t = performance.now();
  await (await mf.dispatchFetch(`http://x/?n=${n}`)).text();
  return performance.now() - t;
};
await time(1); // warm up
const N = 20;
const samples = [];
for (let round = 0; round < 5; round++) samples.push(((await time(N + 1)) - (await time(1))) / N);
samples.sort((a, b) => a - b);
console.log(JSON.stringify({ iterations, msPerVerification: { min: +samples[0].toFixed(2), median: +samples[2].toFixed(2), max: +samples[4].toFixed(2) } }));
await mf.dispose();
