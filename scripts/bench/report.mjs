// Turns the benchmark's results into the tables printed on the console and written to
// docs/performance.md (between its bench:results markers), and checks the targets.
import { readFileSync, writeFileSync } from "node:fs";

export const TARGETS = {
  ratio: 1.0, // our/their throughput on workerd, every scenario
  cpuMs: 1.0, // CPU per token (client_credentials) and userinfo request
  gzipKiB: 250, // every Worker's bundle
  devLoginMs: 100, // full login under wrangler dev, p50
};

/** The endpoints the CPU target is about; the others are measured for the analysis. */
const CPU_TARGETED = ["client_credentials", "userinfo"];

const f = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
const int = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en-US") : "–");
const mark = (met) => (met ? "met" : "**missed**");
const table = (head, rows) => [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");

export function targetsOf(results) {
  const list = [];
  for (const [name, s] of Object.entries(results.throughput)) {
    list.push({ target: `${name}: our/their ≥ ${TARGETS.ratio}`, value: f(s.ratio, 2), met: s.ratio >= TARGETS.ratio });
  }
  for (const name of CPU_TARGETED) {
    const c = results.cpu[name];
    if (!c) continue;
    list.push({
      target: `${name}: CPU < ${TARGETS.cpuMs} ms per request`,
      value: `${f(c.ours.cpuMsPerRequest, 2)} ms`,
      met: c.ours.cpuMsPerRequest < TARGETS.cpuMs,
    });
  }
  for (const b of results.bundles) {
    list.push({ target: `${b.name} ≤ ${TARGETS.gzipKiB} KiB gzip`, value: `${f(b.gzipBytes / 1024)} KiB`, met: b.gzipBytes / 1024 <= TARGETS.gzipKiB });
  }
  if (results.wranglerDev) {
    list.push({
      target: `login flow under wrangler dev, p50 < ${TARGETS.devLoginMs} ms`,
      value: `${f(results.wranglerDev.p50)} ms`,
      met: results.wranglerDev.p50 < TARGETS.devLoginMs,
    });
  }
  return list;
}

export function markdown(results) {
  const s = results.settings;
  const parts = [];
  parts.push(
    `Run ${results.date} on ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.memoryGiB} GiB; ` +
      `${s.rounds} rounds × ${s.durationS} s per scenario and server, ${s.connections} connections (login: ${s.loginConcurrency} browsers). ` +
      `Versions: ${Object.entries(results.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}.`,
  );
  parts.push(
    table(
      ["Scenario", "ours req/s", "ours p50 / p99 ms", "oidc-provider req/s", "theirs p50 / p99 ms", "our/their (median of rounds)", "failed requests"],
      Object.entries(results.throughput).map(([name, r]) => [
        name,
        int(r.ours.rps),
        `${f(r.ours.p50)} / ${f(r.ours.p99)}`,
        int(r.theirs.rps),
        `${f(r.theirs.p50)} / ${f(r.theirs.p99)}`,
        f(r.ratio, 2),
        `${r.ours.failures} / ${r.theirs.failures}`,
      ]),
    ),
  );
  parts.push(
    table(
      [
        "CPU per request (concurrency 1)",
        "ours CPU ms",
        "ours wall p50 ms",
        "ours straight to its Worker: CPU / wall ms",
        "oidc-provider CPU ms",
        "theirs wall p50 ms",
      ],
      Object.entries(results.cpu).map(([name, c]) => [
        name,
        f(c.ours.cpuMsPerRequest, 2),
        f(c.ours.wallMsP50, 2),
        `${f(c.oursDirect.cpuMsPerRequest, 2)} / ${f(c.oursDirect.wallMsP50, 2)}`,
        f(c.theirs.cpuMsPerRequest, 2),
        f(c.theirs.wallMsP50, 2),
      ]),
    ),
  );
  if (results.floor) {
    const { direct, hop, hopOneCall, hopTwoCalls } = results.floor;
    const rows = [
      ["one Worker", direct],
      ["behind a service-binding hop (as our front Worker)", hop],
      ["behind a hop, + one Durable Object call (as client authentication)", hopOneCall],
      ["behind a hop, + two Durable Object calls (as userinfo)", hopTwoCalls],
    ].filter(([, r]) => r); // runs recorded before the call floors have only the first two
    parts.push(
      table(
        ["workerd's floor (a Worker returning a constant 2 KB)", "req/s", "p50 / p99 ms", "CPU ms per request (concurrency 1)"],
        rows.map(([label, r]) => [label, int(r.rps), `${f(r.p50)} / ${f(r.p99)}`, f(r.cpuMsPerRequest, 2)]),
      ),
    );
  }
  parts.push(
    table(
      ["Worker", "bundle KiB", "gzip KiB"],
      results.bundles.map((b) => [b.name, f(b.bytes / 1024), f(b.gzipBytes / 1024)]),
    ),
  );
  if (results.wranglerDev) {
    const w = results.wranglerDev;
    parts.push(`Full login under \`wrangler dev\` (${w.flows} sequential logins): p50 ${f(w.p50)} ms (min ${f(w.min)}, max ${f(w.max)}).`);
  }
  parts.push(
    table(
      ["Target", "Value", ""],
      targetsOf(results).map((t) => [t.target, t.value, mark(t.met)]),
    ),
  );
  return parts.join("\n\n");
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/** Replaces the results block of docs/performance.md; the prose around it is left alone. */
export function writeResultsBlock(file, results) {
  const doc = readFileSync(file, "utf8");
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file}: no ${START} … ${END} block`);
  writeFileSync(file, `${doc.slice(0, a + START.length)}\n${markdown(results)}\n${doc.slice(b)}`);
}
