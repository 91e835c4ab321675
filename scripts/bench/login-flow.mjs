// A complete authorization-code login over HTTP, as a browser plus a confidential client would
// do it: authorize → login form → consent form → redirect with the code → code exchange (PKCE).
// The same loop drives both OPs; the forms are found by their actions, as in
// test/support/browser.ts (…/login with username and password, …/consent with decision=approve).
import { createHash, randomBytes } from "node:crypto";
import { basicAuth, form, request } from "./http.mjs";

const decodeEntities = (s) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

function attribute(tag, name) {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3]) : undefined;
}

/** The forms of a page: action, method and hidden inputs. */
export function parseForms(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const hidden = {};
    for (const input of m[2].matchAll(/<input\b[^>]*>/gi)) {
      if (attribute(input[0], "type")?.toLowerCase() !== "hidden") continue;
      const name = attribute(input[0], "name");
      if (name) hidden[name] = attribute(input[0], "value") ?? "";
    }
    return { action: attribute(m[1], "action") ?? "", method: (attribute(m[1], "method") ?? "get").toLowerCase(), hidden };
  });
}

const pathMatches = (requestPath, cookiePath) =>
  requestPath === cookiePath || (requestPath.startsWith(cookiePath) && (cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/"));

/** One browser: a cookie jar for the OP's origin (path matching, deletion), manual redirects. */
class Browser {
  cookies = new Map();

  constructor(origin, agent) {
    this.origin = origin;
    this.agent = agent;
  }

  async fetch(url, { method = "GET", headers = {}, body } = {}) {
    const target = new URL(url, this.origin);
    const cookie = [...this.cookies]
      .filter(([, c]) => pathMatches(target.pathname, c.path))
      .map(([n, c]) => `${n}=${c.value}`)
      .join("; ");
    const res = await request(target, { method, headers: cookie ? { ...headers, cookie } : headers, body, agent: this.agent });
    for (const header of res.headers["set-cookie"] ?? []) this.store(header);
    return res;
  }

  store(header) {
    const [pair, ...attrs] = header.split(";").map((s) => s.trim());
    const eq = pair.indexOf("=");
    const attr = (n) => attrs.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
    const maxAge = attr("max-age");
    const expires = attr("expires");
    const expired = maxAge !== undefined ? Number(maxAge) <= 0 : expires !== undefined && Date.parse(expires) <= Date.now();
    if (expired) this.cookies.delete(pair.slice(0, eq));
    else this.cookies.set(pair.slice(0, eq), { value: pair.slice(eq + 1), path: attr("path") ?? "/" });
  }

  submit(html, base, actionSuffix, fields) {
    const f = parseForms(html).find((x) => x.action.endsWith(actionSuffix) && x.method === "post");
    if (!f) throw new Error(`no POST form ending in ${actionSuffix}`);
    return this.fetch(new URL(f.action, base), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form({ ...f.hidden, ...fields }),
    });
  }
}

const b64url = (buf) => Buffer.from(buf).toString("base64url");

/** The authorization request: PKCE S256, prompt=consent so that every login shows the consent page. */
function authorizationUrl(op, pkce) {
  const url = new URL(op.authorizationEndpoint);
  url.search = form({
    client_id: op.client.id,
    redirect_uri: op.client.redirectUri,
    response_type: "code",
    scope: "openid profile email address phone offline_access",
    state: b64url(randomBytes(12)),
    nonce: b64url(randomBytes(12)),
    code_challenge: pkce.challenge,
    code_challenge_method: "S256",
    prompt: "consent",
  });
  return url;
}

/** Walks the pages to the redirect back to the client; returns the code. At most 12 steps. */
async function authorize(browser, start) {
  let url = start;
  let res = await browser.fetch(url);
  for (let step = 0; step < 12; step++) {
    if (res.status >= 300 && res.status < 400) {
      const next = new URL(res.headers.location, url);
      if (next.origin !== browser.origin) {
        const code = next.searchParams.get("code");
        if (!code) throw new Error(`redirected without a code: ${next.search}`);
        return code;
      }
      url = next;
      res = await browser.fetch(url);
      continue;
    }
    const actions = res.status === 200 ? parseForms(res.body).map((f) => f.action) : [];
    if (actions.some((a) => /\/login$/.test(a))) {
      res = await browser.submit(res.body, url, "/login", { username: "alice", password: "alice-password", action: "login" });
    } else if (actions.some((a) => /\/consent$/.test(a))) {
      res = await browser.submit(res.body, url, "/consent", { decision: "approve" });
    } else {
      throw new Error(`stopped at ${url.pathname}: ${res.status} ${res.body.slice(0, 300)}`);
    }
  }
  throw new Error("too many steps in the login flow");
}

/**
 * One complete login in a fresh browser (no session, so the login form is shown) and the code
 * exchange. Returns the token response (access, ID and refresh tokens).
 */
export async function loginFlow(op, agent) {
  const verifier = b64url(randomBytes(32));
  const pkce = { verifier, challenge: b64url(createHash("sha256").update(verifier).digest()) };
  const browser = new Browser(new URL(op.authorizationEndpoint).origin, agent);
  const code = await authorize(browser, authorizationUrl(op, pkce));
  const res = await request(op.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(op.client.id, op.client.secret) },
    body: form({ grant_type: "authorization_code", code, redirect_uri: op.client.redirectUri, code_verifier: verifier }),
    agent,
  });
  if (res.status !== 200) throw new Error(`code exchange: ${res.status} ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body);
}
