#!/usr/bin/env node
// The in-repo conformance runner: starts the OP's four Workers with `wrangler dev` (or uses a
// deployed OP, --issuer), launches a headless Chromium as the user, and runs every module of
// the OpenID conformance suite's Basic, Config, Dynamic, Implicit, Hybrid, Form Post, logout
// (RP-Initiated, Back-Channel, Front-Channel, Session Management) and Third-Party-Initiated
// Login OP plans (conformance/plans.json) the way the suite does, with oauth4webapi/openid-client
// and jose as the strict relying party.
// Prints plan × module → passed / failed / not applicable and writes conformance/results/latest.{md,json}.
// Options: --only <text> (plan label, response type or module id contains it; given twice,
// both must match; results/ is then left alone), --concurrency N (default 4), --issuer <url>
// (a deployed OP instead of wrangler dev; ADMIN_TOKEN from the environment for the key rotation
// module), --rp-origin <url> with --rp-port N (a public origin that reaches the RP's server on
// that port, for an OP that cannot reach 127.0.0.1). CONFORMANCE_DEBUG=1 logs every page the
// browser sees. The results name the git commit they ran at and whether the tree was dirty.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Failure, NotApplicable } from "./lib/assert.mjs";
import { launchBrowser } from "./lib/browser.mjs";
import { clientsFor, moduleContext } from "./lib/context.mjs";
import { discover, fetchJwks } from "./lib/oidc.mjs";
import { deployedOp, startOp } from "./lib/op.mjs";
import { startRp } from "./lib/rp.mjs";
import config from "./modules/config.mjs";
import core from "./modules/core.mjs";
import dynamic from "./modules/dynamic.mjs";
import logout from "./modules/logout.mjs";
import requestObjects from "./modules/request-objects.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));

// Every HTTP call of the RP (ours and the libraries') gives up after 30 s and says which it was.
const FETCH_TIMEOUT_MS = 30_000;
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  try {
    return await plainFetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch (e) {
    const url = typeof input === "string" ? input : (input.url ?? String(input));
    if (e.name === "TimeoutError")
      throw new Failure(`${init.method ?? input.method ?? "GET"} ${new URL(url).pathname} got no answer within ${FETCH_TIMEOUT_MS / 1000} s (timed out)`);
    throw e;
  }
};
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const only = args.flatMap((a, i) => (a === "--only" ? [args[i + 1]] : []));
const concurrency = Number(opt("--concurrency", 4));
const issuerArg = opt("--issuer");
const rpOrigin = opt("--rp-origin");
const rpPort = opt("--rp-port");
const MODULE_TIMEOUT_MS = 120_000;

// Plan-specific implementations first: the Dynamic plan's versions of shared module ids win there.
const shared = new Map([...core, ...config, ...requestObjects, ...logout].map((m) => [m.id, m]));
const dynamicOnly = new Map(dynamic.map((m) => [m.id, m]));
const lookup = (plan, id) => (plan.dynamic && dynamicOnly.get(id)) || shared.get(id) || dynamicOnly.get(id);

const plans = JSON.parse(readFileSync(path.join(here, "plans.json"), "utf8")).plans;
const tasks = [];
for (const plan of plans)
  for (const responseType of plan.responseTypes) {
    const v = {
      plan: plan.plan,
      label: plan.label,
      responseType,
      responseMode: plan.responseMode,
      dynamic: !!plan.dynamic,
      variant: plan.variant ?? `${responseType}${plan.responseMode ? ` + ${plan.responseMode}` : ""}`,
    };
    for (const id of plan.modules) {
      if (!only.every((o) => [plan.label, responseType, id].some((s) => s.includes(o)))) continue;
      tasks.push({ v, id, module: lookup(plan, id) });
    }
  }

const started = Date.now();
const revision = gitRevision();
const op = issuerArg ? deployedOp(issuerArg) : await startOp();
const rp = await startRp({ port: rpPort === undefined ? 0 : Number(rpPort), origin: rpOrigin });
const browser = await launchBrowser();
let exitCode = 1;
try {
  const { as, raw } = await discover(op.issuer);
  const ctx = {
    issuer: op.issuer,
    adminToken: op.adminToken,
    as,
    raw,
    jwks: await fetchJwks(as),
    rp,
    browser,
    redirectBase: `${rp.origin}/cb`,
    redirectUri: `${rp.origin}/cb`,
  };
  const clientSets = new Map();
  const clientsOf = (v) => {
    const key = `${v.label}|${v.responseType}`;
    if (!clientSets.has(key)) clientSets.set(key, clientsFor(ctx, v));
    return clientSets.get(key);
  };

  /**
   * A module that failed while the Workers reloaded (a source file changed), or that timed out
   * (a loaded machine), runs once more; the note says so. Assertion failures are final.
   */
  const runOne = async (task) => {
    const reloadsBefore = op.reloads();
    const result = await runOnce(task);
    if (result.status !== "failed") return result;
    const why =
      op.reloads() !== reloadsBefore
        ? "the Workers reloaded"
        : /timed out|within \d+ s|Timeout/i.test(result.note)
          ? `it timed out (${result.note})`
          : undefined;
    if (!why) return result;
    const again = await runOnce(task);
    return { ...again, note: [again.note, `retried once: ${why} on the first run`].filter(Boolean).join("; ") };
  };

  const runOnce = async (task) => {
    const t0 = Date.now();
    if (!task.module) return { ...task, status: "failed", note: "no implementation of this module in the runner" };
    const t = moduleContext(ctx, task.v, clientsOf(task.v));
    let timer;
    try {
      await Promise.race([
        task.module.run(t),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(() => reject(new Failure(`timed out after ${MODULE_TIMEOUT_MS / 1000} s; browser: ${t.where()}`)), MODULE_TIMEOUT_MS)),
        ),
      ]);
      return { ...task, status: "passed", note: t.notes.join("; "), ms: Date.now() - t0 };
    } catch (e) {
      if (e instanceof NotApplicable) return { ...task, status: "not applicable", note: e.message, ms: Date.now() - t0 };
      const note = e instanceof Failure ? e.message : `${e.name}: ${e.message}`;
      return { ...task, status: "failed", note: note.split("\n")[0], ms: Date.now() - t0 };
    } finally {
      clearTimeout(timer);
      await t.dispose();
    }
  };

  // Slow modules (30 s waits) start first so they overlap the rest; then a small pool.
  const queue = [...tasks.filter((x) => x.module?.slow), ...tasks.filter((x) => !x.module?.slow)];
  const results = new Array(queue.length);
  let next = 0;
  let done = 0;
  const slowLimit = queue.filter((x) => x.module?.slow).length;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= queue.length) return;
      results[i] = await runOne(queue[i]);
      done++;
      if (results[i].status === "failed") console.log(`✗ ${results[i].v.label} [${results[i].v.variant}] ${results[i].id}: ${results[i].note}`);
      if (done % 50 === 0) console.log(`… ${done}/${queue.length}`);
    }
  };
  // The 30 s modules mostly sleep: give them their own workers on top of the pool.
  await Promise.all([...Array(concurrency + slowLimit)].map(worker));

  results.sort((a, b) => tasks.indexOf(tasks.find((x) => x.v === a.v && x.id === a.id)) - tasks.indexOf(tasks.find((x) => x.v === b.v && x.id === b.id)));
  exitCode = report(results, { issuer: op.issuer, local: !issuerArg, revision }, Date.now() - started) ? 1 : 0;
} catch (e) {
  console.error(e);
  console.error(op.output().slice(-3000));
} finally {
  await browser.close().catch(() => {});
  await rp.stop();
  await op.stop();
}
process.exit(exitCode);

/** The commit the runner runs at, and whether the work tree differs from it (`git status`). */
function gitRevision() {
  const git = (...a) => execFileSync("git", a, { cwd: here, encoding: "utf8" }).trim();
  try {
    return { commit: git("rev-parse", "HEAD"), dirty: git("status", "--porcelain") !== "" };
  } catch {
    return { commit: null, dirty: null };
  }
}

function report(results, { issuer, local, revision }, ms) {
  const counts = { passed: 0, failed: 0, "not applicable": 0 };
  for (const r of results) counts[r.status]++;
  const esc = (s) => String(s ?? "").replace(/\|/g, "\\|");
  const rows = results.map((r) => `| ${r.v.label} | ${r.v.variant} | ${r.id} | ${r.status} | ${esc(r.note)} |`);
  const byPlan = [];
  for (const r of results) {
    const key = `${r.v.label} [${r.v.variant}]`;
    let row = byPlan.find((b) => b.key === key);
    if (!row) {
      row = { key, passed: 0, failed: 0, "not applicable": 0 };
      byPlan.push(row);
    }
    row[r.status]++;
  }
  const summary = `${counts.passed} passed, ${counts.failed} failed, ${counts["not applicable"]} not applicable (${results.length} modules, ${Math.round(ms / 1000)} s)`;
  const md = [
    "# Conformance runner results",
    "",
    `\`node conformance/run.mjs\` against ${local ? `a local \`wrangler dev\` OP (${issuer})` : issuer}, at commit ${revision.commit?.slice(0, 12) ?? "unknown"}${revision.dirty ? " with uncommitted changes" : ""}, ${new Date().toISOString().slice(0, 10)}: ${summary}.`,
    "",
    "| Plan | Variant | Passed | Failed | Not applicable |",
    "| --- | --- | --- | --- | --- |",
    ...byPlan.map((b) => `| ${b.key.replace(/ \[.*/, "")} | ${b.key.replace(/^.*\[|\]$/g, "")} | ${b.passed} | ${b.failed} | ${b["not applicable"]} |`),
    "",
    "| Plan | Variant | Module | Result | Note |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  const dir = path.join(here, "results");
  mkdirSync(dir, { recursive: true });
  if (!only.length) {
    writeFileSync(path.join(dir, "latest.md"), md);
    writeFileSync(
      path.join(dir, "latest.json"),
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          issuer,
          op: local ? "wrangler dev" : "deployed",
          commit: revision.commit,
          dirty: revision.dirty,
          passed: counts.passed,
          failed: counts.failed,
          notApplicable: counts["not applicable"],
          results: results.map((r) => ({
            plan: r.v.plan,
            label: r.v.label,
            responseType: r.v.responseType,
            responseMode: r.v.responseMode ?? null,
            module: r.id,
            status: r.status,
            note: r.note || undefined,
          })),
        },
        null,
        1,
      )}\n`,
    );
  }
  const width = Math.max(...results.map((r) => r.id.length));
  let last;
  for (const r of results) {
    const key = `${r.v.label} [${r.v.variant}]`;
    if (key !== last) console.log(`\n${key}`);
    last = key;
    console.log(`  ${r.id.padEnd(width)}  ${r.status === "passed" ? "passed" : r.status === "failed" ? "FAILED" : "n/a   "}  ${r.note ?? ""}`);
  }
  console.log(`\nconformance: ${summary}${only.length ? " (filtered run: results/ not written)" : ""}`);
  return counts.failed > 0;
}
