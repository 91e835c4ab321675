// Local settings for `npx -y pnpm@10 start`: a git-ignored dotenv-style file at the repository
// root (op.settings; op.settings.example shows the format) plus `--set NAME=value` on the command
// line, applied to all four Workers' staged configs. docs/configuration.md, "Local settings".
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEV_SECRET_NAMES, root } from "./workers.mjs";

export const SETTINGS_FILE = "op.settings";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses one `NAME=value` (the part after an optional `export `). The value is trimmed; `#` after
 * it starts a comment; a value in "double" or 'single' quotes is taken literally (no escapes) and
 * may hold `#` and surrounding spaces. Returns { name, value } or throws with the reason.
 */
export function parseAssignment(text) {
  const m = /^\s*(?:export\s+)?([^=\s]+)\s*=(.*)$/.exec(text);
  if (!m) throw new Error("expected NAME=value");
  const [, name, raw] = m;
  if (!NAME.test(name)) throw new Error(`${JSON.stringify(name)} is not a variable name (letters, digits and _)`);
  let rest = raw.trim();
  let value;
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const end = rest.indexOf(quote, 1);
    if (end < 0) throw new Error(`the value's ${quote} quote is not closed on this line`);
    value = rest.slice(1, end);
    rest = rest.slice(end + 1).trim();
    if (rest !== "" && !rest.startsWith("#")) throw new Error(`unexpected ${JSON.stringify(rest)} after the quoted value`);
  } else {
    const hash = rest.indexOf("#");
    value = (hash < 0 ? rest : rest.slice(0, hash)).trim();
  }
  return { name, value };
}

/**
 * Reads a settings file: blank lines and `#` comments are skipped, every other line is
 * `NAME=value`. Returns { values, lines (name → line number), warnings } or throws naming the line.
 */
export function parseSettings(text, file = SETTINGS_FILE) {
  const values = {};
  const lines = {};
  const warnings = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (/^\s*(#.*)?$/.test(line)) return;
    let a;
    try {
      a = parseAssignment(line);
    } catch (err) {
      throw new Error(`${file}:${i + 1}: ${err.message}: ${line.trim()}`);
    }
    if (a.name in values) warnings.push(`${file}:${i + 1}: ${a.name} is set again (line ${lines[a.name]} before); this line wins`);
    values[a.name] = a.value;
    lines[a.name] = i + 1;
  });
  return { values, lines, warnings };
}

/**
 * The names docs/configuration.md documents: its "Variables" and "Secrets" tables (rows that
 * begin with a name in backquotes). The OP's own schema (packages/common/src/config.ts) accepts
 * the same names; docs and schema are kept in step.
 */
export function documentedNames(doc = path.join(root, "docs", "configuration.md")) {
  const variables = new Set();
  const secrets = new Set();
  if (!existsSync(doc)) return { variables, secrets };
  let into = null;
  for (const line of readFileSync(doc, "utf8").split("\n")) {
    if (line.startsWith("## ")) into = line === "## Variables" ? variables : line === "## Secrets" ? secrets : null;
    const row = /^\| `([A-Z][A-Z0-9_]*)`/.exec(line);
    if (into && row) into.add(row[1]);
  }
  return { variables, secrets };
}

/** Warnings for names the OP does not know (documented neither as a variable nor as a secret). */
export function unknownNameWarnings(values, { names = documentedNames(), where = () => "" } = {}) {
  const known = new Set([...names.variables, ...names.secrets, ...DEV_SECRET_NAMES]);
  const warnings = [];
  for (const name of Object.keys(values)) {
    if (known.has(name)) continue;
    const upper = name.toUpperCase();
    const hint = known.has(upper) ? ` (did you mean ${upper}? names are case-sensitive)` : "";
    warnings.push(
      `${where(name)}${name} is not a setting documented in docs/configuration.md${hint}; it is passed to the Workers anyway, and the OP ignores it`,
    );
  }
  return warnings;
}

/**
 * Where each setting goes in a staged Worker: documented secrets (and names the docs do not
 * know, which might be secrets) into `.dev.vars`, whose values wrangler hides in its output;
 * every other setting into the staged wrangler.toml's [vars], as in a deployment.
 */
export function splitSettings(values, names = documentedNames()) {
  const vars = {};
  const secrets = {};
  for (const [name, value] of Object.entries(values)) {
    const plain = names.variables.has(name) && !names.secrets.has(name) && !DEV_SECRET_NAMES.includes(name);
    (plain ? vars : secrets)[name] = value;
  }
  return { vars, secrets };
}

/** Shows a setting for a log line: a plain variable's value, a secret's name only. */
export const describeSetting = (name, value, names = documentedNames()) =>
  names.variables.has(name) && !names.secrets.has(name) ? `${name}=${value}` : `${name}=(hidden)`;

/**
 * The command line of `start`: `--port N`, `--settings FILE` (else `settingsFile`, op.settings at
 * the repository root, if it exists) and repeatable `--set NAME=value` (the value as the shell
 * gave it: no quotes or comments); everything else is handed to wrangler. Returns
 * { port, settingsFile, settingsRequired, sets, rest } or throws.
 */
export function parseStartArgs(args, settingsFile = path.join(root, SETTINGS_FILE)) {
  const out = { port: undefined, settingsFile, settingsRequired: false, sets: {}, rest: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const option = /^--(port|settings|set)(?:=(.*))?$/.exec(arg);
    if (!option) {
      out.rest.push(arg);
      continue;
    }
    const value = option[2] ?? args[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (option[1] === "port") {
      if (!/^\d+$/.test(value)) throw new Error(`--port ${value}: not a port number`);
      out.port = value;
    } else if (option[1] === "settings") {
      out.settingsFile = path.resolve(value);
      out.settingsRequired = true;
    } else {
      const eq = value.indexOf("=");
      const name = value.slice(0, Math.max(eq, 0));
      if (!NAME.test(name)) throw new Error(`--set ${value}: expected NAME=value`);
      out.sets[name] = value.slice(eq + 1);
    }
  }
  return out;
}

/**
 * Everything `start` needs from its command line and the settings file: the port, the issuer,
 * the settings (file, then --set) and what to print. ISSUER is http://localhost:<port> unless
 * the settings set it; a loopback ISSUER with a port then also gives the port when --port is
 * not given. `settingsFile` is the file read without --settings.
 */
export function resolveStart(args, { names = documentedNames(), settingsFile } = {}) {
  const cli = parseStartArgs(args, settingsFile);
  const notes = [];
  const warnings = [];
  let fromFile = {};
  let lines = {};
  if (existsSync(cli.settingsFile)) {
    const parsed = parseSettings(readFileSync(cli.settingsFile, "utf8"), path.relative(process.cwd(), cli.settingsFile) || cli.settingsFile);
    fromFile = parsed.values;
    lines = parsed.lines;
    warnings.push(...parsed.warnings);
  } else if (cli.settingsRequired) {
    throw new Error(`--settings ${cli.settingsFile}: no such file`);
  }
  const shownFile = path.relative(root, cli.settingsFile).startsWith("..") ? cli.settingsFile : path.relative(root, cli.settingsFile);
  const settings = { ...fromFile, ...cli.sets };
  warnings.push(
    ...unknownNameWarnings(fromFile, { names, where: (n) => `${shownFile}:${lines[n]}: ` }),
    ...unknownNameWarnings(cli.sets, { names, where: () => "--set: " }),
  );

  let port = cli.port;
  const issuer = settings.ISSUER;
  if (issuer !== undefined) {
    let url;
    try {
      url = new URL(issuer);
    } catch {
      throw new Error(`ISSUER=${issuer}: not a URL`);
    }
    const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
    if (loopback && url.port && port === undefined) port = url.port;
    else if (loopback && url.port !== (port ?? "8787"))
      warnings.push(`ISSUER=${issuer} names port ${url.port || "(none)"}, but wrangler listens on ${port ?? "8787"}; relying parties will not reach it there`);
  }
  port ??= "8787";
  delete settings.ISSUER;

  const show = (values) =>
    Object.entries(values)
      .map(([n, v]) => describeSetting(n, v, names))
      .join(", ");
  if (Object.keys(fromFile).length > 0) notes.push(`Local settings from ${shownFile}: ${show(fromFile)}`);
  else if (existsSync(cli.settingsFile)) notes.push(`Local settings from ${shownFile}: none set`);
  else notes.push(`No ${shownFile} (optional; see op.settings.example and docs/configuration.md, "Local settings")`);
  if (Object.keys(cli.sets).length > 0) notes.push(`Settings from --set: ${show(cli.sets)}`);

  return { port, issuer: issuer ?? `http://localhost:${port}`, settings, rest: cli.rest, notes, warnings };
}
