#!/usr/bin/env node
// The index of the spec rules (docs/rules.md): every function exported by packages/rules, the
// sections its comment cites, and the tests that name it. Convention: a rule's unit tests sit in
// a `describe` whose title names the function, followed by the section, e.g.
// describe("narrowScope (RFC 6749 §6, RFC 8693 §2.1)", …). `--check` fails when a rule has no
// test or docs/rules.md is not what this script writes; the test line runs it (test/e2e).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const rulesDir = path.join(root, "packages", "rules", "src");
const testsDir = path.join(root, "test", "workers");
const output = path.join(root, "docs", "rules.md");

const walk = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));

/** `export function name` and `export const name = (…) =>` with the doc comment right above. */
export function ruleFunctions() {
  const rules = [];
  for (const file of walk(rulesDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith("index.ts"))
    .sort()) {
    const text = readFileSync(file, "utf8");
    const re = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*)?export (?:async )?(?:function (\w+)|const (\w+)\s*=\s*(?:async\s*)?(?:\([^)]*\)|\w+)\s*(?::[^=]+)?=>)/g;
    for (const m of text.matchAll(re)) {
      const name = m[2] ?? m[3];
      const doc = (m[1] ?? "").replace(/^\s*\/?\*+\/?/gm, " ");
      const sections = [
        ...new Set(
          [...doc.matchAll(/\b((?:RFC \d{4}|OIDC [A-Z][\w.-]*(?: [A-Z][\w-]*)*|JARM|FAPI [\d.]+|RFC 6890|IANA)(?: §[\d.]+(?:[-–][\d.]+)?)?)/g)].map((s) =>
            s[1].trim(),
          ),
        ),
      ];
      rules.push({ module: path.relative(root, file), name, sections });
    }
  }
  return rules;
}

/** Every describe/it title of the in-runtime tests, with its file. */
function testTitles() {
  const titles = [];
  for (const file of walk(testsDir).filter((f) => f.endsWith(".test.ts"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/\b(?:describe|it)\(\s*(["'`])((?:(?!\1).)*)\1/g)) titles.push({ file: path.relative(root, file), title: m[2] });
  }
  return titles;
}

export function index() {
  const titles = testTitles();
  return ruleFunctions().map((rule) => {
    const named = new RegExp(`(^|[^\\w])${rule.name}([^\\w]|$)`);
    const tests = titles.filter((t) => named.test(t.title));
    return { ...rule, tests: [...new Set(tests.map((t) => t.file))] };
  });
}

export function render(rows) {
  const lines = [
    "# Spec rules and their tests",
    "",
    "Every function of `packages/rules` (the spec rules, pure, one place each), the sections its",
    "comment cites and the test files whose `describe`/`it` titles name it. Written by",
    "`node scripts/rules-index.mjs`; the test line fails when a rule has no test or this page is stale.",
    "",
  ];
  const table = [
    ["Rule", "Module", "Sections", "Tests"],
    ...rows.map((r) => [`\`${r.name}\``, `\`${r.module}\``, r.sections.join("; ") || "—", r.tests.map((t) => `\`${t}\``).join(", ") || "**none**"]),
  ];
  // Columns padded as biome formats Markdown tables, so that the lint stage and --check agree.
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  lines.push(line(table[0]), line(widths.map((w) => "-".repeat(w))), ...table.slice(1).map(line));
  return `${lines.join("\n")}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = index();
  const text = render(rows);
  if (process.argv.includes("--check")) {
    const untested = rows.filter((r) => !r.tests.length).map((r) => `${r.name} (${r.module})`);
    let current = "";
    try {
      current = readFileSync(output, "utf8");
    } catch {}
    if (untested.length) console.error(`rules without a test naming them:\n  ${untested.join("\n  ")}`);
    // Table padding is a formatter's choice, not content.
    const cells = (s) => s.replace(/ *\| */g, "|").replace(/-{3,}/g, "---");
    const stale = cells(current) !== cells(text);
    if (stale) console.error("docs/rules.md is stale: run node scripts/rules-index.mjs");
    process.exit(untested.length || stale ? 1 : 0);
  }
  writeFileSync(output, text);
  console.log(`docs/rules.md: ${rows.length} rules, ${rows.filter((r) => !r.tests.length).length} without a test`);
}
