import { exports } from "cloudflare:workers";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { expect } from "vitest";
import { type NavigateOptions, navigate, Browser as SharedBrowser } from "../support/browser";

export { parseForms } from "../support/browser";

/**
 * Test helpers that drive the OP through its public HTTP surface (the front Worker's fetch,
 * which fans out to the sibling Workers over their service bindings), with a small cookie jar
 * standing in for a browser.
 */
export const ISSUER = "http://localhost:8787";
export const TEST_ADMIN_TOKEN = "test-admin-token-0123456789abcdefghijklmnopqrstuvwxyz";

export function op(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(path.startsWith("http") ? path : `${ISSUER}${path}`, { redirect: "manual", ...init }));
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  registration_access_token: string;
  registration_client_uri: string;
  redirect_uris: string[];
  [k: string]: unknown;
}

export async function registerClient(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
  const res = await op("/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], grant_types: ["authorization_code", "refresh_token"], ...metadata }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

export const basicAuth = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

export async function pkcePair() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const verifier = b64url(bytes);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

export function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

export const b64json = (value: unknown) => b64url(new TextEncoder().encode(JSON.stringify(value)));

/** A client's ES256 request-object key (kid "k1") and the public JWK it registers. */
export async function requestObjectKey(): Promise<{ key: CryptoKey; publicJwk: JWK }> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  return { key: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: "k1", use: "sig", alg: "ES256" } };
}

/** RFC 9101 §4: a request object signed with `signer` (typ as §10.8 recommends). */
export const signRequestObject = (claims: Record<string, unknown>, signer: CryptoKey | Uint8Array, alg = "ES256") =>
  new SignJWT(claims).setProtectedHeader({ alg, kid: "k1", typ: "oauth-authz-req+jwt" }).sign(signer);

/** An unsigned request object (alg none, OIDC Core §6.1). */
export const unsignedRequestObject = (claims: Record<string, unknown>) => `${b64json({ alg: "none" })}.${b64json(claims)}.`;

export function decodeJwt(token: string): Record<string, any> {
  const part = token.split(".")[1]!;
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
}

/** The shared test browser, talking to the front Worker in-process. */
export class Browser extends SharedBrowser {
  constructor() {
    super(ISSUER, (request) => exports.default.fetch(request));
  }
}

export interface AuthorizeOptions extends NavigateOptions {
  params?: Record<string, string>;
}

/** A code-flow request's parameters: state, nonce and PKCE S256 (its verifier returned); `extra` replaces or adds. */
export async function codeRequestParams(redirectUri: string, extra: Record<string, string> = {}) {
  const { challenge, verifier } = await pkcePair();
  const params: Record<string, string> = {
    redirect_uri: redirectUri,
    response_type: "code",
    scope: "openid",
    state: crypto.randomUUID(),
    nonce: crypto.randomUUID(),
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  };
  return { params, verifier };
}

/**
 * Runs /authorize through login and consent pages as a browser would, returning the final
 * redirect to the client (parsed), or the page the OP stopped on, and the pages seen.
 */
export async function authorize(browser: Browser, client: RegisteredClient, opts: AuthorizeOptions = {}) {
  const { params: request, verifier } = await codeRequestParams(client.redirect_uris[0]!, opts.params);
  const params: Record<string, string> = { client_id: client.client_id, ...request };
  const nav = await navigate(browser, `/authorize?${new URLSearchParams(params)}`, opts);
  return { redirect: nav.callback, page: nav.page?.html, status: nav.page?.status, seen: nav.pages, verifier, params };
}

export async function redeemCode(client: RegisteredClient, code: string, verifier: string, extra: Record<string, string> = {}) {
  return op("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: verifier, ...extra }),
  });
}

/** Register, log in as alice, consent, and redeem: the tokens of one complete flow. */
export async function completeFlow(clientMetadata: Record<string, unknown> = {}, opts: AuthorizeOptions = {}) {
  const client = await registerClient(clientMetadata);
  const browser = new Browser();
  const result = await authorize(browser, client, opts);
  if (!result.redirect) throw new Error(`flow did not redirect: ${result.status} ${result.page}`);
  const code = result.redirect.searchParams.get("code")!;
  const res = await redeemCode(client, code, result.verifier);
  expect(res.status, await res.clone().text()).toBe(200);
  return { client, browser, result, tokens: await res.json<Record<string, any>>() };
}

/** A call to the admin API (Bearer TEST_ADMIN_TOKEN unless `token` says otherwise; null sends none). */
export function admin(path: string, init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string> } = {}) {
  const token = init.token === undefined ? TEST_ADMIN_TOKEN : init.token;
  const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  return op(`/admin${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : typeof init.body === "string" ? init.body : JSON.stringify(init.body),
  });
}

/** The operator grants `clientId` what it may obtain without a user (PUT /admin/clients/:id/grants). */
export async function grantClient(clientId: string, grants: Record<string, unknown>) {
  const res = await admin(`/clients/${encodeURIComponent(clientId)}/grants`, { method: "PUT", body: grants });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<Record<string, any>>();
}

/** A resource server with a fresh id and identifier (scopes read and write), for `overrides` to change. */
export function newResource(overrides: Record<string, unknown> = {}) {
  const id = `api-${crypto.randomUUID().slice(0, 8)}`;
  return {
    id,
    name: `API ${id}`,
    identifiers: [`https://${id}.example.com/`],
    scopes: [
      { name: "read", description: "Read" },
      { name: "write", description: "Write" },
    ],
    ...overrides,
  };
}

/** Registers a resource server through the admin API (POST /admin/resources). */
export async function registerResource(resource: Record<string, unknown> = newResource()) {
  const res = await admin("/resources", { method: "POST", body: resource });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json<{ id: string; identifiers: string[]; [k: string]: any }>();
}

/** A client_credentials client (no redirect URIs) the operator granted `grants`. */
export async function machineClient(grants: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  const client = await registerClient({ grant_types: ["client_credentials"], redirect_uris: undefined, ...metadata });
  await grantClient(client.client_id, grants);
  return client;
}
