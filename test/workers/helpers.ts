import { exports } from "cloudflare:workers";
import { expect } from "vitest";

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

export const basicAuth = (id: string, secret: string) =>
  `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;

export async function pkcePair() {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const verifier = b64url(bytes);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

export function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeJwt(token: string): Record<string, any> {
  const part = token.split(".")[1]!;
  return JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
}

/** A minimal browser: keeps cookies (honouring Path and Max-Age=0) and follows nothing by itself. */
export class Browser {
  private cookies = new Map<string, { value: string; path: string }>();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url.startsWith("http") ? url : `${ISSUER}${url}`);
    const cookie = [...this.cookies.entries()]
      .filter(([, c]) => target.pathname === c.path || target.pathname.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`) || c.path === "/")
      .map(([name, c]) => `${name}=${c.value}`)
      .join("; ");
    const headers = new Headers(init.headers);
    if (cookie) headers.set("cookie", cookie);
    const res = await op(target.toString(), { ...init, headers });
    for (const set of res.headers.getSetCookie()) this.store(set);
    return res;
  }

  private store(header: string) {
    const [pair, ...attrs] = header.split(";").map((s) => s.trim());
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const path = attrs.find((a) => /^path=/i.test(a))?.slice(5) ?? "/";
    const maxAge = attrs.find((a) => /^max-age=/i.test(a));
    if (maxAge && Number(maxAge.slice(8)) <= 0) this.cookies.delete(name);
    else this.cookies.set(name, { value, path });
  }

  hasCookie(name: string) {
    return this.cookies.has(name);
  }

  /** Submits an HTML form found in `html` (by its action) with extra fields. */
  async submit(html: string, actionSuffix: string, fields: Record<string, string>): Promise<Response> {
    const action = formAction(html, actionSuffix);
    const body = new URLSearchParams({ ...hiddenFields(html, action), ...fields });
    return this.fetch(action, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
  }
}

export function formAction(html: string, suffix: string): string {
  const actions = [...html.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) => decodeEntities(m[1]!));
  const action = actions.find((a) => a.endsWith(suffix));
  if (!action) throw new Error(`no form ending in ${suffix} in page:\n${html}`);
  return action;
}

export function hiddenFields(html: string, action: string): Record<string, string> {
  const start = html.indexOf(`action="${action}"`);
  const form = html.slice(start, html.indexOf("</form>", start));
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) out[m[1]!] = decodeEntities(m[2]!);
  return out;
}

const decodeEntities = (s: string) =>
  s.replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'");

export interface AuthorizeOptions {
  params?: Record<string, string>;
  username?: string;
  password?: string;
  /** Approve (default) or deny on the consent page, if one is shown. */
  consent?: "approve" | "deny";
}

/**
 * Runs /authorize through login and consent pages as a browser would, returning the final
 * redirect to the client (its URL parsed) and the pages seen on the way.
 */
export async function authorize(browser: Browser, client: RegisteredClient, opts: AuthorizeOptions = {}) {
  const { challenge, verifier } = await pkcePair();
  const params = {
    client_id: client.client_id,
    redirect_uri: client.redirect_uris[0]!,
    response_type: "code",
    scope: "openid",
    state: crypto.randomUUID(),
    nonce: crypto.randomUUID(),
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...opts.params,
  };
  const seen: string[] = [];
  let res = await browser.fetch(`/authorize?${new URLSearchParams(params)}`);
  for (let i = 0; i < 8; i++) {
    const location = res.headers.get("location");
    if (res.status === 303 || res.status === 302) {
      if (location!.startsWith(ISSUER) || location!.startsWith("/")) {
        res = await browser.fetch(location!);
        continue;
      }
      return { redirect: new URL(location!), verifier, params, seen };
    }
    const html = await res.text();
    if (res.status !== 200 && res.status !== 401) return { page: html, status: res.status, verifier, params, seen };
    if (html.includes('action="/interaction/') && html.includes("/login\"")) {
      seen.push("login");
      res = await browser.submit(html, "/login", { username: opts.username ?? "alice", password: opts.password ?? "alice-password", action: "login" });
      if (res.status === 401) return { page: await res.text(), status: 401, verifier, params, seen };
      continue;
    }
    if (html.includes("/consent\"")) {
      seen.push("consent");
      res = await browser.submit(html, "/consent", { decision: opts.consent ?? "approve" });
      continue;
    }
    return { page: html, status: res.status, verifier, params, seen };
  }
  throw new Error("too many redirects");
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
