#!/usr/bin/env node
import { pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
// The reference OP for the benchmark: the certified `oidc-provider` 9 on Node, configured for the
// same work as ours. Runs as its own process (so it has its own event loop and CPU accounting):
//   node scripts/bench/reference-op.mjs '{"port":9000,"db":"/tmp/x.sqlite","client":{…}}'
//
// Same work as our OP: one confidential client (client_secret_basic) with authorization_code +
// PKCE, rotating refresh tokens and client_credentials; the user alice / alice-password with the
// same claims and the same password hashing (PBKDF2-HMAC-SHA-256, 100,000 iterations); RS256 ID
// tokens; JWT (ES256) access tokens for the API resource of client_credentials, as ours issues;
// opaque access tokens for userinfo, the only format oidc-provider accepts there; state in SQLite.
// Login and consent are a small plain node:http handler on oidc-provider's interaction API.
import http from "node:http";
import { promisify } from "node:util";
import { exportJWK, generateKeyPair } from "jose";
import Provider, { errors } from "oidc-provider";
import { DEV_USERS } from "../../packages/storage/src/seeds.ts";
import { openDatabase, SqliteAdapter } from "./reference-adapter.mjs";

const options = JSON.parse(process.argv[2] ?? "{}");
const issuer = `http://127.0.0.1:${options.port}`;
const API_RESOURCE = options.apiResource;
const ITERATIONS = 100_000; // our PASSWORD_PBKDF2_ITERATIONS default

/** alice, with the claims of our development seed; the password hashed as ours hashes it. */
async function makeAlice() {
  const seed = DEV_USERS.alice;
  const salt = randomBytes(16);
  const hash = await promisify(pbkdf2)(seed.password.normalize("NFKC"), salt, ITERATIONS, 32, "sha256");
  return { sub: randomBytes(32).toString("hex"), username: seed.username, salt, hash, claims: seed.claims };
}

async function verifyPassword(user, password) {
  const derived = await promisify(pbkdf2)(password.normalize("NFKC"), user.salt, ITERATIONS, 32, "sha256");
  return timingSafeEqual(derived, user.hash);
}

/** An RS256 and an ES256 signing key, as our key store creates. */
async function signingKeys() {
  const keys = [];
  for (const alg of ["RS256", "ES256"]) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "RS256" ? { modulusLength: 2048 } : {}) });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: "sig", kid: `${alg.toLowerCase()}-1` });
  }
  return keys;
}

function configuration(alice, keys) {
  const c = options.client;
  return {
    adapter: SqliteAdapter,
    clients: [
      {
        client_id: c.id,
        client_secret: c.secret,
        redirect_uris: [c.redirectUri],
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        scope: "openid profile email address phone offline_access api",
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    claims: {
      openid: ["sub"],
      profile: [
        "name",
        "family_name",
        "given_name",
        "middle_name",
        "nickname",
        "preferred_username",
        "profile",
        "picture",
        "website",
        "gender",
        "birthdate",
        "zoneinfo",
        "locale",
        "updated_at",
      ],
      email: ["email", "email_verified"],
      address: ["address"],
      phone: ["phone_number", "phone_number_verified"],
    },
    scopes: ["openid", "offline_access", "profile", "email", "address", "phone", "api"],
    findAccount: async (_ctx, sub) => (sub === alice.sub ? { accountId: sub, claims: async () => ({ sub, ...alice.claims }) } : undefined),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf,
        useGrantedResource: () => false,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== API_RESOURCE) throw new errors.InvalidTarget();
          return { scope: "api", audience: API_RESOURCE, accessTokenTTL: 3600, accessTokenFormat: "jwt", jwt: { sign: { alg: "ES256" } } };
        },
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Our lifetimes (docs/configuration.md).
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: 14 * 86400,
      Grant: 14 * 86400,
      Session: 14 * 86400,
      Interaction: 600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  };
}

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const page = (title, body) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;

function loginPage(uid, clientId, error = "") {
  return page(
    "Sign in",
    `${error ? `<p>${escapeHtml(error)}</p>` : ""}<p>to ${escapeHtml(clientId)}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/login"><input name="username" autocomplete="username"><input type="password" name="password">
<button name="action" value="login">Sign in</button></form>`,
  );
}

function consentPage(uid, clientId, scopes) {
  return page(
    "Allow access?",
    `<p>${escapeHtml(clientId)} asks for: ${escapeHtml(scopes.join(" "))}</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/consent"><button name="decision" value="approve">Allow</button><button name="decision" value="deny">Deny</button></form>`,
  );
}

async function readForm(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 16 * 1024) throw new Error("form too large");
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")));
}

function send(res, status, html) {
  res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(html);
}

/** The consent result, as oidc-provider's own dev interactions build it: a grant with what is missing. */
async function grantConsent(provider, details) {
  const { prompt, grantId, session, params } = details;
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(" "));
  if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
  for (const [indicator, scope] of Object.entries(prompt.details.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scope.join(" "));
  return grant.save();
}

/** GET /interaction/:uid, POST /interaction/:uid/login, POST /interaction/:uid/consent. */
async function interaction(provider, alice, req, res, uid, step) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page("Error", "<p>interaction mismatch</p>"));
  if (req.method === "GET" && !step) {
    return details.prompt.name === "login"
      ? send(res, 200, loginPage(uid, details.params.client_id))
      : send(res, 200, consentPage(uid, details.params.client_id, String(details.params.scope).split(" ")));
  }
  if (req.method !== "POST") return send(res, 405, page("Error", "<p>method not allowed</p>"));
  const form = await readForm(req);
  if (step === "login" && details.prompt.name === "login") {
    const ok = form.username === alice.username && (await verifyPassword(alice, form.password ?? ""));
    if (!ok) return send(res, 200, loginPage(uid, details.params.client_id, "Invalid username or password."));
    return provider.interactionFinished(req, res, { login: { accountId: alice.sub } }, { mergeWithLastSubmission: false });
  }
  if (step === "consent" && details.prompt.name === "consent") {
    if (form.decision !== "approve")
      return provider.interactionFinished(
        req,
        res,
        { error: "access_denied", error_description: "the user denied the request" },
        { mergeWithLastSubmission: false },
      );
    return provider.interactionFinished(req, res, { consent: { grantId: await grantConsent(provider, details) } }, { mergeWithLastSubmission: true });
  }
  return send(res, 400, page("Error", "<p>unexpected step</p>"));
}

async function main() {
  openDatabase(options.db);
  const alice = await makeAlice();
  const provider = new Provider(issuer, configuration(alice, await signingKeys()));
  const oidc = provider.callback();
  const server = http.createServer((req, res) => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent))?$/.exec(req.url.split("?")[0]);
    if (!m) return oidc(req, res);
    interaction(provider, alice, req, res, m[1], m[2]).catch((err) => {
      if (!res.headersSent) send(res, 400, page("Error", `<p>${escapeHtml(err.message)}</p>`));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(options.port, "127.0.0.1");
  process.on("SIGTERM", () => process.exit(0));
}

await main();
