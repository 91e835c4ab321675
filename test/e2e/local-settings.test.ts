import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startLocalOp } from "../../scripts/local-op.mjs";
import { documentedNames, parseSettings, resolveStart, splitSettings } from "../../scripts/settings.mjs";
import { DEV_SECRET_NAMES, dotenvLine, root, stageConfigs, WORKERS } from "../../scripts/workers.mjs";

/**
 * Local settings for `start` (scripts/settings.mjs, docs/configuration.md "Local settings"): the
 * settings file and --set reach all four staged Workers, in the documented precedence, and a
 * `wrangler dev` started from such staged configs honours them in every Worker.
 */

const tmp = mkdtempSync(path.join(tmpdir(), "op-settings-test-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
};

/** The [vars] of a staged wrangler.toml (stageConfigs writes them as NAME = <JSON string>). */
function stagedVars(config: string): Record<string, string> {
  const lines = readFileSync(config, "utf8").split("\n");
  const start = lines.indexOf("[vars]");
  const vars: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("[")) break;
    const m = /^([A-Z_a-z0-9]+) = (".*")$/.exec(line);
    if (m) {
      expect(vars, `${config}: ${m[1]} twice in [vars]`).not.toHaveProperty(m[1]!);
      vars[m[1]!] = JSON.parse(m[2]!);
    }
  }
  return vars;
}

/** A staged .dev.vars, read the way dotenv reads a line: NAME=bare, NAME='…', NAME=`…`, NAME="…". */
function stagedSecrets(config: string): Record<string, string> {
  const text = readFileSync(path.join(path.dirname(config), ".dev.vars"), "utf8");
  return Object.fromEntries(
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const m = /^([A-Z_a-z0-9]+)=(.*)$/.exec(line)!;
        const v = m[2]!;
        return [m[1]!, /^(['"`]).*\1$/.test(v) ? v.slice(1, -1) : v];
      }),
  );
}

describe("the settings file", () => {
  it("takes comments, blank lines, quotes and export, and keeps # inside quotes", () => {
    const text = [
      "# a comment",
      "",
      "PAR_MODE=disabled",
      "ACCESS_TOKEN_TTL = 300  # seconds",
      "export LOG_REQUESTS=true",
      `INITIAL_ACCESS_TOKEN="a #b "`,
      "EMPTY=",
    ].join("\n");
    expect(parseSettings(text).values).toEqual({
      PAR_MODE: "disabled",
      ACCESS_TOKEN_TTL: "300",
      LOG_REQUESTS: "true",
      INITIAL_ACCESS_TOKEN: "a #b ",
      EMPTY: "",
    });
  });

  it.each([
    ["no =", "PAR_MODE disabled", /op\.settings:3: expected NAME=value: PAR_MODE disabled/],
    ["a bad name", "PAR-MODE=disabled", /op\.settings:3: "PAR-MODE" is not a variable name/],
    ["an open quote", 'ISSUER="http://localhost:9000', /op\.settings:3: the value's " quote is not closed/],
    ["text after the quotes", "JAR_MODE='optional' yes", /op\.settings:3: unexpected "yes" after the quoted value/],
  ])("refuses a line with %s, naming the line", (_, line, message) => {
    expect(() => parseSettings(`# settings\nPAR_MODE=optional\n${line}\n`)).toThrow(message);
  });

  it("is refused by start before anything is written, naming the line", () => {
    const file = write("malformed.settings", "PAR_MODE=disabled\nthis is not a setting\n");
    const devVars = path.join(root, ".dev.vars");
    const before = readdirSync(root).includes(".dev.vars") ? readFileSync(devVars, "utf8") : undefined;
    const r = spawnSync(process.execPath, ["scripts/dev.mjs", "--settings", file], { cwd: root, encoding: "utf8", timeout: 20_000 });
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toContain("malformed.settings:2: expected NAME=value: this is not a setting");
    expect(readdirSync(root).includes(".dev.vars") ? readFileSync(devVars, "utf8") : undefined).toBe(before);
  });

  it("is not required; a named one is", () => {
    const missing = path.join(tmp, "none.settings");
    const start = resolveStart([], { settingsFile: missing });
    expect(start).toMatchObject({ port: "8787", issuer: "http://localhost:8787", settings: {}, warnings: [] });
    expect(start.notes.join("\n")).toContain("No ");
    expect(() => resolveStart(["--settings", missing])).toThrow(/no such file/);
  });

  it("warns on names docs/configuration.md does not document, and prints no secret", () => {
    const file = write("names.settings", "par_mode=disabled\nNOT_A_SETTING=1\nPAR_MODE=required\nADMIN_TOKEN=do-not-print-this-admin-token-0123456789\n");
    const start = resolveStart(["--settings", file, "--set", "JARM_MODE=disabled"]);
    expect(start.warnings).toEqual([
      expect.stringMatching(/names\.settings:1: par_mode is not a setting documented in docs\/configuration\.md \(did you mean PAR_MODE\?/),
      expect.stringMatching(/names\.settings:2: NOT_A_SETTING is not a setting documented/),
    ]);
    const notes = start.notes.join("\n");
    expect(notes).toContain("names.settings: ");
    expect(notes).toContain("PAR_MODE=required");
    expect(notes).toContain("ADMIN_TOKEN=(hidden)");
    expect(notes).toContain("Settings from --set: JARM_MODE=disabled");
    expect(notes).not.toContain("do-not-print-this");
  });

  it("documents exactly the names the OP's config schema accepts", () => {
    // Read as text (the scripts import nothing from packages/): the warnings above are only as
    // good as the docs' tables.
    const find = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.name === "node_modules" ? [] : e.isDirectory() ? find(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
      );
    const [source, ...others] = find(path.join(root, "packages")).filter((f) => readFileSync(f, "utf8").includes("export const ConfigSchema = z"));
    expect(source, "the file of ConfigSchema").toBeDefined();
    expect(others).toEqual([]);
    const text = readFileSync(source!, "utf8");
    const body = text.slice(text.indexOf("export const ConfigSchema = z"));
    const schema = [...body.slice(0, body.indexOf("\n  })")).matchAll(/^ {4}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
    const { variables, secrets } = documentedNames();
    expect([...variables, ...secrets].sort()).toEqual(schema.sort());
  });
});

describe("staging with local settings", () => {
  const names = documentedNames();

  it("gives every Worker the file's settings over the wrangler.toml defaults and generated secrets, and --set over the file", () => {
    const file = write(
      "op.settings",
      [
        "ENVIRONMENT=production",
        "PAR_MODE=disabled",
        "ACCESS_TOKEN_TTL=300",
        "JWT_BEARER_TRUSTED_CLIENTS='a b # c'",
        "ADMIN_TOKEN=admin-token-from-the-settings-file-0123456789",
        "INITIAL_ACCESS_TOKEN='it has # and spaces'",
      ].join("\n"),
    );
    const start = resolveStart(["--settings", file, "--set", "ACCESS_TOKEN_TTL=600", "--port", "9123", "--local-protocol=http"]);
    expect(start).toMatchObject({ port: "9123", issuer: "http://localhost:9123", rest: ["--local-protocol=http"] });
    const generated = Object.fromEntries(DEV_SECRET_NAMES.map((n) => [n, `generated-${n}-0123456789abcdefghijklmnop`]));
    const { vars, secrets } = splitSettings(start.settings, names);
    const configs = stageConfigs(path.join(tmp, "staged"), { issuer: start.issuer, secrets: { ...generated, ...secrets }, vars });
    expect(configs).toHaveLength(WORKERS.length);
    for (const config of configs) {
      expect(stagedVars(config)).toMatchObject({
        ISSUER: "http://localhost:9123",
        ENVIRONMENT: "production",
        PAR_MODE: "disabled",
        ACCESS_TOKEN_TTL: "600",
        JWT_BEARER_TRUSTED_CLIENTS: "a b # c",
      });
      expect(stagedSecrets(config)).toEqual({
        ...generated,
        ADMIN_TOKEN: "admin-token-from-the-settings-file-0123456789",
        INITIAL_ACCESS_TOKEN: "it has # and spaces",
      });
      // Secrets stay out of wrangler.toml, whose [vars] wrangler prints.
      expect(readFileSync(config, "utf8")).not.toContain("admin-token-from-the-settings-file");
    }
    // Settings the person did not set keep their wrangler.toml value.
    expect(stagedVars(configs[0]!).DEV_SEED_USERS).toBe("true");
  });

  it("takes a --set value as the shell gave it, and refuses a --set without NAME=", () => {
    const missing = path.join(tmp, "none.settings");
    expect(resolveStart(["--set", "JWT_BEARER_TRUSTED_CLIENTS=a # b", "--set=LOG_REQUESTS="], { settingsFile: missing }).settings).toEqual({
      JWT_BEARER_TRUSTED_CLIENTS: "a # b",
      LOG_REQUESTS: "",
    });
    for (const bad of ["PAR_MODE", "=disabled", "PAR MODE=disabled"])
      expect(() => resolveStart(["--set", bad], { settingsFile: missing })).toThrow(/expected NAME=value/);
    expect(() => resolveStart(["--set"], { settingsFile: missing })).toThrow(/--set needs a value/);
  });

  it("takes ISSUER from the settings, and its port when --port is not given", () => {
    const file = write("issuer.settings", "ISSUER=http://localhost:9555\n");
    expect(resolveStart(["--settings", file])).toMatchObject({ port: "9555", issuer: "http://localhost:9555", warnings: [] });
    const tunnel = resolveStart(["--settings", file, "--set", "ISSUER=https://op.example.test"]);
    expect(tunnel).toMatchObject({ port: "8787", issuer: "https://op.example.test", warnings: [] });
    expect(resolveStart(["--settings", file, "--port", "9000"]).warnings).toEqual([expect.stringContaining("names port 9555, but wrangler listens on 9000")]);
  });

  it("writes .dev.vars lines dotenv reads back as the value", () => {
    expect(dotenvLine("A", "plain-value")).toBe("A=plain-value\n");
    for (const value of [
      "plain-value",
      "",
      "x # y",
      "a#b",
      " padded ",
      "it's",
      "'quoted'",
      `"double"`,
      "back`tick",
      "both ' and `",
      `all of ' \` " inside`,
      "multi\nline",
      "\\n stays",
    ]) {
      expect(dotenvParse(dotenvLine("NAME", value)), JSON.stringify(value)).toEqual({ NAME: value });
    }
    expect(() => dotenvLine("NAME", `# all of ' \` "`)).toThrow(/cannot be written/);
  });
});

/** dotenv 16's parse(), which wrangler bundles and reads .dev.vars with (wrangler-dist/cli.js). */
function dotenvParse(src: string): Record<string, string> {
  const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/gm;
  const obj: Record<string, string> = {};
  const lines = src.replace(/\r\n?/gm, "\n");
  for (let m = LINE.exec(lines); m != null; m = LINE.exec(lines)) {
    let value = (m[2] || "").trim();
    const maybeQuote = value[0];
    value = value.replace(/^(['"`])([\s\S]*)\1$/gm, "$2");
    if (maybeQuote === '"') value = value.replace(/\\n/g, "\n").replace(/\\r/g, "\r");
    obj[m[1]!] = value;
  }
  return obj;
}

describe("a wrangler dev started from staged settings", () => {
  const INITIAL_ACCESS_TOKEN = "initial-access-token-from-the-settings";
  const defaults = inject("issuer"); // the suite's OP, with the defaults, for comparison
  let op: Awaited<ReturnType<typeof startLocalOp>> | undefined;
  afterAll(() => op?.stop());

  async function probe(issuer: string, initialAccessToken?: string) {
    const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    const reg = await fetch(`${issuer}/register`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(initialAccessToken ? { authorization: `Bearer ${initialAccessToken}` } : {}) },
      body: JSON.stringify({
        redirect_uris: ["http://127.0.0.1/settings/cb"],
        grant_types: ["authorization_code", "client_credentials"],
        response_types: ["code"],
        // Development's CLIENT_GRANTS_DEFAULT=requested grants it the resource's read scope (docs/resources.md).
        scope: "read",
        token_endpoint_auth_method: "client_secret_basic",
      }),
    });
    const client = await reg.json();
    expect(reg.status, JSON.stringify(client)).toBe(201);
    const basic = `Basic ${btoa(`${encodeURIComponent(client.client_id)}:${encodeURIComponent(client.client_secret)}`)}`;
    const form = (params: Record<string, string>) => ({
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    });
    const token = await (await fetch(`${issuer}/token`, form({ grant_type: "client_credentials", resource: "https://api.example.com/" }))).json();
    const par = await fetch(
      `${issuer}/par`,
      form({
        response_type: "code",
        client_id: client.client_id,
        redirect_uri: "http://127.0.0.1/settings/cb",
        scope: "openid",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
      }),
    );
    return { discovery, token, par: { status: par.status, body: await par.json() } };
  }

  it("honours them in every Worker: discovery, /par (op-auth), /token (op-token), /register (op-management)", async () => {
    const settings = parseSettings(`PAR_MODE=disabled\nACCESS_TOKEN_TTL=1234  # seconds\nINITIAL_ACCESS_TOKEN='${INITIAL_ACCESS_TOKEN}'\n`).values;
    const resources = [{ id: "api", name: "Example API", identifiers: ["https://api.example.com/"], scopes: [{ name: "read", description: "Read" }] }];
    op = await startLocalOp({ tmpPrefix: "op-settings-e2e-", vars: { ...settings, RESOURCES: JSON.stringify(resources) } });

    const before = await probe(defaults);
    expect(before.discovery.pushed_authorization_request_endpoint).toBe(`${defaults}/par`);
    expect(before.par.status).toBe(201);
    expect(before.token.expires_in, JSON.stringify(before.token)).toBe(3600);

    const unauthenticated = await fetch(`${op.issuer}/register`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(unauthenticated.status).toBe(401);
    const after = await probe(op.issuer, INITIAL_ACCESS_TOKEN);
    expect(after.discovery.pushed_authorization_request_endpoint).toBeUndefined();
    expect(after.par).toMatchObject({ status: 400, body: { error: "invalid_request", error_description: expect.stringContaining("not enabled") } });
    expect(after.token.expires_in).toBe(1234);
  });
});
