import { exports } from "cloudflare:workers";
import { type ProtectedResourceConfig, protectedResource } from "@op/resource-server";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { expect } from "vitest";
import { authorize, Browser, basicAuth, completeFlow, grantClient, ISSUER, op, registerClient } from "./helpers";

/**
 * Helpers for the resource-server kit's tests (packages/resource-server): the kit reaches the
 * real OP of the test runtime in-process, as a service binding would.
 */
export const RESOURCE = "https://mcp.example.com/mcp";
export const METADATA_URL = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";

/** The OP as the kit's `fetch`: the front Worker, in-process. */
export const opFetch = (request: Request) => exports.default.fetch(request);

/** A kit for RESOURCE naming the test OP, reaching it in-process; `overrides` replace or add. */
export const kit = (overrides: Partial<ProtectedResourceConfig> = {}) =>
  protectedResource({ issuer: ISSUER, resource: RESOURCE, scopesSupported: ["read", "write"], fetch: opFetch, ...overrides });

/** A request to the protected resource with `authorization` (and other headers, and a cf object). */
export function apiRequest(
  authorization?: string,
  init: { headers?: Record<string, string>; cf?: Record<string, unknown>; method?: string; url?: string } = {},
) {
  const headers = new Headers(init.headers);
  if (authorization !== undefined) headers.set("authorization", authorization);
  return new Request(init.url ?? RESOURCE, { method: init.method ?? "POST", headers, ...(init.cf ? { cf: init.cf } : {}) } as RequestInit);
}

const machine = { grant_types: ["client_credentials"], redirect_uris: undefined };
/** What the operator grants the machine clients: RESOURCE (test-mcp) and another API (test/support/test-resources.ts). */
const MACHINE_GRANTS = {
  client_credentials: [
    { resource: "test-mcp", scopes: ["read", "write"] },
    { resource: "test-other", scopes: ["read"] },
  ],
};

/** A client_credentials client the operator granted RESOURCE and another API, and a token of it for `resources` with `scope`. */
export async function machineToken(opts: { resources?: string[]; scope?: string; authMethod?: "client_secret_basic" | "client_secret_post" } = {}) {
  const post = opts.authMethod === "client_secret_post";
  const client = await registerClient({ ...machine, ...(post ? { token_endpoint_auth_method: "client_secret_post" } : {}) });
  await grantClient(client.client_id, MACHINE_GRANTS);
  const body = new URLSearchParams({ grant_type: "client_credentials", scope: opts.scope ?? "read" });
  for (const r of opts.resources ?? [RESOURCE]) body.append("resource", r);
  if (post) {
    body.set("client_id", client.client_id);
    body.set("client_secret", client.client_secret!);
  }
  const res = await op("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(post ? {} : { authorization: basicAuth(client.client_id, client.client_secret!) }) },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  const { access_token } = await res.json<{ access_token: string }>();
  return { client, token: access_token };
}

/** alice's tokens from a code flow naming RESOURCE (access token aud: RESOURCE and userinfo). */
export async function userTokens() {
  const { client, tokens } = await completeFlow({}, { params: { scope: "openid", resource: RESOURCE } });
  return { client, accessToken: tokens.access_token as string, idToken: tokens.id_token as string };
}

/** RFC 8705: what cf.tlsClientAuth says of a certificate (only its SHA-256 matters to the binding). */
export async function tlsClientAuth(der: Uint8Array) {
  const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", der))].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { certPresented: "1", certVerified: "SUCCESS", certRevoked: "0", certSubjectDNRFC2253: "CN=client.example.com", certFingerprintSHA256: hex };
}

/** A certificate-bound token for RESOURCE: the OP binds it to `der` (its development header stands in for the edge). */
export async function certificateBoundToken(der: Uint8Array) {
  const client = await registerClient({ tls_client_certificate_bound_access_tokens: true, token_endpoint_auth_method: "client_secret_post" });
  const r = await authorize(new Browser(), client, { params: { scope: "openid", resource: RESOURCE } });
  const res = await op("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "x-dev-tls-client-auth": JSON.stringify(await tlsClientAuth(der)) },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: r.redirect!.searchParams.get("code")!,
      redirect_uri: client.redirect_uris[0]!,
      code_verifier: r.verifier,
      client_id: client.client_id,
      client_secret: client.client_secret!,
    }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json<{ access_token: string }>()).access_token;
}

/** The parameters of each challenge in a WWW-Authenticate value (scheme → params), for assertions. */
export function challenges(header: string | null): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const part of (header ?? "").split(/,\s*(?=[A-Za-z][\w-]*\s+[\w-]+=)/)) {
    const [, scheme, rest] = /^([A-Za-z][\w-]*)(?:\s+(.*))?$/.exec(part.trim()) ?? [];
    if (!scheme) continue;
    out[scheme] = Object.fromEntries([...(rest ?? "").matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  }
  return out;
}

/**
 * A stand-in authorization server (its RFC 8414 metadata and JWKS) on a fresh issuer URL, for
 * what the real OP cannot do yet (DPoP-bound tokens) or cannot be made to do (go down, rotate
 * on cue). `state` steers it and counts its requests; `sign` mints access tokens of its keys.
 */
export async function syntheticIssuer() {
  const issuer = `https://op-${crypto.randomUUID()}.example`;
  const signers = new Map<string, CryptoKey>();
  const state = { keys: [] as JWK[], cacheControl: "public, max-age=60", down: false, requests: { metadata: 0, jwks: 0 } };
  const addKey = async (kid: string) => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    state.keys.push({ ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" });
    signers.set(kid, pair.privateKey);
  };
  await addKey("k1");
  const fetch = async (request: Request): Promise<Response> => {
    if (state.down) throw new Error("connection refused");
    const path = new URL(request.url).pathname;
    if (path === "/.well-known/oauth-authorization-server") {
      state.requests.metadata++;
      return Response.json({ issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${issuer}/introspect` });
    }
    if (path === "/jwks") {
      state.requests.jwks++;
      // An encryption key too, as the OP publishes: the kit must not pick it for signatures.
      return Response.json(
        { keys: [...state.keys, { kty: "RSA", use: "enc", kid: "enc-1", n: "AQAB", e: "AQAB" }] },
        { headers: { "cache-control": state.cacheControl } },
      );
    }
    return new Response(null, { status: 404 });
  };
  const sign = (claims: Record<string, unknown> = {}, header: { kid?: string; typ?: string } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const kid = header.kid ?? "k1";
    return new SignJWT({
      iss: issuer,
      aud: RESOURCE,
      sub: "user-1",
      client_id: "client-1",
      scope: "read",
      iat: now,
      exp: now + 300,
      jti: crypto.randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg: "ES256", kid, typ: header.typ ?? "at+jwt" })
      .sign(signers.get(kid) ?? signers.get("k1")!);
  };
  return { issuer, fetch, state, sign, addKey };
}
