// The Workers of the OP, in `wrangler dev` order: the first config serves the port (op-auth, the
// front Worker that hosts the Durable Objects); the others are reached over service bindings.

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const bin = path.join(root, "node_modules", ".bin");

export const WORKERS = [
  { name: "op-auth", config: "wrangler.toml" },
  { name: "op-token", config: "packages/op-token/wrangler.toml" },
  { name: "op-discovery", config: "packages/op-discovery/wrangler.toml" },
  { name: "op-management", config: "packages/op-management/wrangler.toml" },
];

/** The development secrets: generated once, then read back from a .dev.vars-style file. */
export const DEV_SECRET_NAMES = ["ADMIN_TOKEN", "CLIENT_SECRET_ENCRYPTION_KEY", "PAIRWISE_SALT"];

/**
 * Writes a copy of each Worker's wrangler.toml into `dir` with ISSUER set, `vars` set in [vars]
 * (replacing the file's value of the same name) and `main` made absolute, plus a `.dev.vars`
 * holding `secrets` (which wrangler hides in its output and lets override [vars]), and returns
 * the config paths. Needed because `wrangler dev -c a -c b …` applies `--var` only to the first
 * Worker: the others would keep the ISSUER of their own file and name the wrong issuer on
 * another port.
 */
export function stageConfigs(dir, { issuer, secrets, vars = {} }) {
  const both = Object.keys(vars).filter((name) => name in secrets);
  if (both.length > 0) throw new Error(`stageConfigs: ${both.join(", ")} given both as a variable and as a secret`);
  return WORKERS.map((w) => {
    const source = path.join(root, w.config);
    let toml = readFileSync(source, "utf8");
    const replaceOnce = (re, line) => {
      const matches = toml.match(new RegExp(re.source, "gm"));
      if (matches?.length !== 1) throw new Error(`${w.config}: expected exactly one line matching ${re}`);
      toml = toml.replace(re, line(re.exec(toml)));
    };
    replaceOnce(/^main = "([^"]+)"$/m, (m) => `main = ${JSON.stringify(path.resolve(path.dirname(source), m[1]))}`);
    replaceOnce(/^ISSUER = "[^"]*"$/m, () => `ISSUER = ${JSON.stringify(issuer)}`);
    toml = setVars(toml, vars, w.config);
    const workerDir = path.join(dir, w.name);
    mkdirSync(workerDir, { recursive: true });
    writeFileSync(path.join(workerDir, "wrangler.toml"), toml);
    const devVars = Object.entries(secrets)
      .map(([k, v]) => dotenvLine(k, v))
      .join("");
    writeFileSync(path.join(workerDir, ".dev.vars"), devVars, { mode: 0o600 });
    return path.join(workerDir, "wrangler.toml");
  });
}

/** Sets each of `vars` in the [vars] table of `toml`: the table's line of that name, if any, is replaced. */
function setVars(toml, vars, file) {
  const names = Object.keys(vars);
  if (names.length === 0) return toml;
  const lines = toml.split("\n");
  const start = lines.indexOf("[vars]");
  if (start < 0) throw new Error(`${file}: no [vars] table to put ${names.join(", ")} in`);
  let end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  if (end < 0) end = lines.length;
  const kept = lines.slice(start + 1, end).filter((l) => !names.some((n) => new RegExp(`^\\s*"?${n}"?\\s*=`).test(l)));
  // A TOML basic string: JSON's escapes (\", \\, \n, \uXXXX) are TOML's too.
  const set = names.map((n) => `${n} = ${JSON.stringify(vars[n])}`);
  return [...lines.slice(0, start + 1), ...set, ...kept, ...lines.slice(end)].join("\n");
}

/**
 * One `.dev.vars` line that wrangler's dotenv parser reads back as exactly `value`: bare when
 * that is safe, else in the first quotes the value does not contain (single and backquotes are
 * literal; double quotes would turn \n into a newline).
 */
export function dotenvLine(name, value) {
  const text = String(value);
  if (/^[^\s#'"`][^#\r\n]*$/.test(text) && text.trim() === text) return `${name}=${text}\n`;
  for (const q of ["'", "`"]) if (!text.includes(q)) return `${name}=${q}${text}${q}\n`;
  if (!text.includes('"') && !/\\[nr]/.test(text)) return `${name}="${text}"\n`;
  throw new Error(`${name}: a value holding ', \` and " cannot be written to .dev.vars`);
}

/** `wrangler dev` arguments for the staged configs. */
export function devArgs(configs, { port, persistTo }) {
  return ["dev", ...configs.flatMap((c) => ["-c", c]), "--port", String(port), "--persist-to", persistTo, "--show-interactive-dev-session=false"];
}

/** The environment for wrangler: Node 22 from node_modules/.bin first on PATH. */
export const wranglerEnv = (extra = {}) => ({
  ...process.env,
  PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
  WRANGLER_SEND_METRICS: "false",
  ...extra,
});
