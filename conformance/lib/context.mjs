// What a module sees: `t.v` (plan variant: response type and mode), `t.ctx` (the OP, the RP
// server, the browser), `t.client(kind)` (clients registered once per variant), `t.session()`
// (a fresh browser profile, closed after the module), `t.note()` (a line for the table).
import * as jose from "jose";
import { random, register } from "./oidc.mjs";

/** Grant types a response type needs (OIDC DCR §2: response_types ↔ grant_types). */
export function grantTypesFor(responseType) {
  const parts = responseType.split(" ");
  const grants = [];
  if (parts.includes("code")) grants.push("authorization_code", "refresh_token");
  if (parts.includes("id_token") || parts.includes("token")) grants.push("implicit");
  return grants;
}

/** Per-variant client registrations, each made once and shared by the variant's modules. */
export function clientsFor(ctx, v) {
  const cache = new Map();
  const base = { response_types: [v.responseType], grant_types: grantTypesFor(v.responseType), client_name: `conformance ${v.label}` };
  // The Dynamic plan runs its client modules with private_key_jwt and keys registered by value
  // (OIDCCDynamicTestPlan: "OP-Registration-jwks - covered by OIDCCServerTest").
  const auth = (method) =>
    v.dynamic ? { token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_signing_alg: "RS256" } : { token_endpoint_auth_method: method };
  const kinds = {
    main: () => ({ ...base, ...auth("client_secret_basic") }),
    post: () => ({ ...base, ...auth("client_secret_post") }),
    unsigned: () => ({ ...base, ...auth("client_secret_basic"), id_token_signed_response_alg: "none" }),
  };
  const make = async (metadata) => {
    if (metadata.token_endpoint_auth_method !== "private_key_jwt" || metadata.jwks || metadata.jwks_uri) return register(ctx, metadata);
    const key = await rpKey();
    const client = await register(ctx, { ...metadata, jwks: { keys: [key.jwk] } });
    client.privateKey = key.privateKey;
    return client;
  };
  return (kind = "main", extra) => {
    if (extra) return make({ ...kinds[kind](), ...extra });
    if (!cache.has(kind)) cache.set(kind, make(kinds[kind]()));
    return cache.get(kind);
  };
}

/** An RP signing key pair with a kid, as the suite generates it (GenerateRS256ClientJWKsWithKeyID). */
export async function rpKey() {
  const { privateKey, publicKey } = await jose.generateKeyPair("RS256", { extractable: true });
  const kid = random();
  return { privateKey: { key: privateKey, kid }, jwk: { ...(await jose.exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

export function moduleContext(ctx, v, client) {
  const sessions = [];
  const notes = [];
  return {
    ctx,
    v,
    client,
    register: (metadata, opts) => register(ctx, metadata, opts),
    async session() {
      const s = await ctx.browser.session();
      sessions.push(s);
      return s;
    },
    note: (line) => notes.push(line),
    /** What the browser sessions were doing (for a module that timed out). */
    where: () =>
      sessions
        .map((s) => s.last)
        .filter((l) => l !== "idle")
        .join(" | ") || "not in the browser",
    notes,
    async dispose() {
      await Promise.all(sessions.map((s) => s.close().catch(() => {})));
    },
  };
}
