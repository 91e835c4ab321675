import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, it } from "vitest";
import { root, WORKERS } from "../../scripts/workers.mjs";

/** `npx -y pnpm@10 build` (scripts/build.mjs): the four Workers bundled as deployed, one directory each. */

const out = mkdtempSync(path.join(tmpdir(), "op-build-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("bundles every Worker into <outdir>/<worker>/index.js and prints its path and size", { timeout: 180_000 }, () => {
  mkdirSync(path.join(out, "op-auth"));
  writeFileSync(path.join(out, "op-auth", "stale.js"), "left from an earlier build");
  const r = spawnSync(process.execPath, ["scripts/build.mjs", "--outdir", out], { cwd: root, encoding: "utf8" });
  expect(r.status, r.stdout + r.stderr).toBe(0);
  for (const { name } of WORKERS) {
    const bundle = path.join(out, name, "index.js");
    expect(statSync(bundle).size, bundle).toBeGreaterThan(10_000);
    expect(r.stdout).toMatch(new RegExp(`^${name} +${bundle.replaceAll(".", "\\.")} +\\d+\\.\\d KiB \\(\\d+\\.\\d KiB gzip\\)$`, "m"));
  }
  expect(existsSync(path.join(out, "op-auth", "stale.js"))).toBe(false);
});

it("refuses an unknown argument", () => {
  const r = spawnSync(process.execPath, ["scripts/build.mjs", "--out", out], { cwd: root, encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toContain("usage: node scripts/build.mjs [--outdir DIR]");
});
