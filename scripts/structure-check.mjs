#!/usr/bin/env node
// The layout's two promises, checked (docs/architecture.md, "Layout"): no module imports one
// that imports it back (type-only imports aside) (within a package, by relative imports), and packages import only the
// workspace packages they declare, with no cycle among them (core ← rules ← storage ← tokens ← http).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = path.join(root, "packages");
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith(".ts") ? [path.join(dir, d.name)] : [],
  );
// Type-only imports are erased when bundled (Env names the Durable Object classes that take Env), so they do not count.
const importsOf = (text) => [...text.matchAll(/^\s*(?:import|export)\s(?!type\s)[^;]*?from\s+"([^"]+)";/gms)].map((m) => m[1]);

const problems = [];
const packages = readdirSync(packagesDir).filter((p) => existsSync(path.join(packagesDir, p, "package.json")));
const declared = new Map();
for (const p of packages) {
  const json = JSON.parse(readFileSync(path.join(packagesDir, p, "package.json"), "utf8"));
  declared.set(json.name, { dir: p, deps: Object.keys(json.dependencies ?? {}).filter((d) => d.startsWith("@op/")) });
}

// Modules: relative-import cycles inside each package.
for (const p of packages) {
  const src = path.join(packagesDir, p, "src");
  if (!existsSync(src)) continue;
  const name = [...declared].find(([, v]) => v.dir === p)?.[0];
  const graph = new Map();
  for (const file of walk(src)) {
    const targets = [];
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) {
        const base = path.resolve(path.dirname(file), spec);
        const target = [`${base}.ts`, path.join(base, "index.ts")].find(existsSync);
        if (target) targets.push(target);
      } else if (spec.startsWith("@op/") && name && !declared.get(name).deps.some((d) => spec === d || spec.startsWith(`${d}/`)) && spec !== name) {
        problems.push(`${path.relative(root, file)} imports ${spec}, which ${name} does not declare`);
      }
    }
    graph.set(file, targets);
  }
  const state = new Map();
  const stack = [];
  const visit = (file) => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        const cycle = stack
          .slice(stack.indexOf(next))
          .concat(next)
          .map((f) => path.relative(src, f));
        problems.push(`import cycle in ${p}: ${cycle.join(" → ")}`);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
}

// Packages: the declared dependencies form no cycle.
const seen = new Map();
const visitPackage = (name, trail) => {
  if (trail.includes(name)) return problems.push(`package cycle: ${[...trail, name].join(" → ")}`);
  if (seen.get(name)) return;
  for (const dep of declared.get(name)?.deps ?? []) visitPackage(dep, [...trail, name]);
  seen.set(name, true);
};
for (const name of declared.keys()) visitPackage(name, []);

if (problems.length) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log(`structure: ${packages.length} packages, no import cycle, only declared package imports`);
