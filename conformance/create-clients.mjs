#!/usr/bin/env node
// Registers on a deployed OP the static clients the OpenID conformance suite's OP plans need, and
// writes the plan configurations (conformance/plans/<plan>.json with every {{placeholder}} filled)
// for the suite's "JSON config" box or its run-test-plan.py. See docs/conformance.md.
//
//   node conformance/create-clients.mjs --issuer https://op.example.com [options]
//     --suite <url>          the suite's origin (default https://www.certification.openid.net)
//     --alias-prefix <p>     plan aliases are <p>-basic, <p>-hybrid, … (default workers-op)
//     --token <t>            initial access token for /register (default $INITIAL_ACCESS_TOKEN)
//     --username / --password  the test user the suite's browser signs in as (default alice)
//     --only <text>          only plans whose name contains <text>
//     --out <dir>            where to write (default conformance/plans/generated, git-ignored)
//     --delete               delete the clients a previous run recorded in <out>/registered-clients.json
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const issuer = (opt("--issuer", process.env.ISSUER) ?? "").replace(/\/$/, "");
const suite = opt("--suite", "https://www.certification.openid.net").replace(/\/$/, "");
const aliasPrefix = opt("--alias-prefix", "workers-op");
const token = opt("--token", process.env.INITIAL_ACCESS_TOKEN);
const username = opt("--username", "alice");
const password = opt("--password", "alice-password");
const only = opt("--only");
const out = path.resolve(opt("--out", path.join(here, "plans", "generated")));
const recordFile = path.join(out, "registered-clients.json");

/** What each plan's static clients may do (OIDC DCR §2); keys are the suite's config sections. */
const CODE = { response_types: ["code"], grant_types: ["authorization_code", "refresh_token"] };
const IMPLICIT = { response_types: ["id_token", "id_token token"], grant_types: ["implicit"] };
const HYBRID = { response_types: ["code id_token", "code token", "code id_token token"], grant_types: ["authorization_code", "implicit", "refresh_token"] };
const post = (m) => ({ ...m, token_endpoint_auth_method: "client_secret_post" });
const PLANS = {
  "oidcc-basic-certification-test-plan": { alias: "basic", clients: { client: CODE, client2: CODE, client_secret_post: post(CODE) } },
  "oidcc-config-certification-test-plan": { alias: "config", clients: {} },
  // The suite registers its own clients in this plan (POST /register without a token: see docs/conformance.md).
  "oidcc-dynamic-certification-test-plan": { alias: "dynamic", clients: {} },
  "oidcc-implicit-certification-test-plan": { alias: "implicit", clients: { client: IMPLICIT, client2: IMPLICIT } },
  "oidcc-hybrid-certification-test-plan": { alias: "hybrid", clients: { client: HYBRID, client2: HYBRID, client_secret_post: post(HYBRID) } },
  "oidcc-formpost-basic-certification-test-plan": { alias: "formpost-basic", clients: { client: CODE, client2: CODE, client_secret_post: post(CODE) } },
  "oidcc-formpost-implicit-certification-test-plan": { alias: "formpost-implicit", clients: { client: IMPLICIT, client2: IMPLICIT } },
  "oidcc-formpost-hybrid-certification-test-plan": { alias: "formpost-hybrid", clients: { client: HYBRID, client2: HYBRID, client_secret_post: post(HYBRID) } },
};

function fail(message) {
  console.error(message);
  process.exit(1);
}

async function deleteRecorded() {
  if (!existsSync(recordFile)) fail(`nothing recorded in ${recordFile}`);
  const recorded = JSON.parse(readFileSync(recordFile, "utf8"));
  for (const c of recorded) {
    // RFC 7592 §2.3: the registration access token deletes its own client.
    const res = await fetch(c.registration_client_uri, { method: "DELETE", headers: { authorization: `Bearer ${c.registration_access_token}` } });
    console.log(`${res.status === 204 ? "deleted" : `could not delete (${res.status})`} ${c.plan} ${c.key} ${c.client_id}`);
  }
  writeFileSync(recordFile, "[]\n", { mode: 0o600 });
}

/** RFC 7591 §3: one client, redirecting to the suite's callback for this plan's alias. */
async function register(registrationEndpoint, alias, key, metadata) {
  const body = { client_name: `${alias} ${key}`, redirect_uris: [`${suite}/test/a/${alias}/callback`], ...metadata };
  const res = await fetch(registrationEndpoint, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (res.status !== 201) fail(`registering ${alias} ${key} failed: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Replaces {{name}} in every string of the template. */
function fill(value, values) {
  if (typeof value === "string") {
    return value.replace(/\{\{([^}]+)\}\}/g, (whole, name) => {
      if (!(name in values)) fail(`no value for ${whole}`);
      return values[name];
    });
  }
  if (Array.isArray(value)) return value.map((v) => fill(v, values));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, values)]));
  return value;
}

async function main() {
  if (args.includes("--delete")) return deleteRecorded();
  if (!/^https?:\/\//.test(issuer)) fail("Give the OP's issuer: --issuer https://op.example.com (or ISSUER=…)");
  const discovery = await fetch(`${issuer}/.well-known/openid-configuration`).then((r) => (r.ok ? r.json() : fail(`discovery answered ${r.status}`)));
  if (discovery.issuer !== issuer) fail(`discovery names issuer ${discovery.issuer}, not ${issuer}`);
  if (!issuer.startsWith("https://")) console.warn("warning: the suite requires an https issuer; this one is for trying the script only");

  mkdirSync(out, { recursive: true });
  const recorded = existsSync(recordFile) ? JSON.parse(readFileSync(recordFile, "utf8")) : [];
  const templates = readdirSync(path.join(here, "plans")).filter((f) => f.endsWith(".json"));
  for (const file of templates) {
    const plan = file.replace(/\.json$/, "");
    const spec = PLANS[plan];
    if (!spec) fail(`conformance/plans/${file}: unknown plan (add it to PLANS in create-clients.mjs)`);
    if (only && !plan.includes(only)) continue;
    const alias = `${aliasPrefix}-${spec.alias}`;
    const values = { ISSUER: issuer, SUITE: suite, ALIAS: alias, USERNAME: username, PASSWORD: password };
    const clients = Object.entries(spec.clients);
    if (clients.length && !discovery.registration_endpoint) {
      fail("the OP offers no registration_endpoint: set INITIAL_ACCESS_TOKEN on op-management (then pass --token) or deploy with --conformance");
    }
    for (const [key, metadata] of clients) {
      const c = await register(discovery.registration_endpoint, alias, key, metadata);
      values[`${key}.client_id`] = c.client_id;
      values[`${key}.client_secret`] = c.client_secret;
      recorded.push({
        plan,
        key,
        client_id: c.client_id,
        registration_client_uri: c.registration_client_uri,
        registration_access_token: c.registration_access_token,
      });
    }
    const config = fill(JSON.parse(readFileSync(path.join(here, "plans", file), "utf8")), values);
    writeFileSync(path.join(out, file), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    console.log(`${plan}: alias ${alias}, ${clients.length} client(s) → ${path.relative(process.cwd(), path.join(out, file))}`);
  }
  writeFileSync(recordFile, `${JSON.stringify(recorded, null, 2)}\n`, { mode: 0o600 });
  console.log(
    `\nRedirect URIs registered: ${suite}/test/a/<alias>/callback. Clients recorded in ${path.relative(process.cwd(), recordFile)} (--delete removes them).`,
  );
}

await main();
