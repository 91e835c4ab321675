/**
 * A minimal browser for driving the OP's HTML pages in tests: a cookie jar for one origin
 * (RFC 6265 path matching, Max-Age/Expires deletion), manual redirects, and HTML form
 * submission. The transport is injected: the Workers runtime's `exports.default.fetch` in the
 * in-runtime tests, the network in the end-to-end tests.
 */
export type Transport = (request: Request) => Promise<Response>;

export interface Form {
  action: string;
  method: string;
  hidden: Record<string, string>;
}

const decodeEntities = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

const attribute = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, "i").exec(tag);
  return m ? decodeEntities(m[1] ?? m[2] ?? m[3]!) : undefined;
};

export function parseForms(html: string): Form[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map((m) => {
    const hidden: Record<string, string> = {};
    for (const input of m[2]!.matchAll(/<input\b[^>]*>/gi)) {
      if (attribute(input[0], "type")?.toLowerCase() !== "hidden") continue;
      const name = attribute(input[0], "name");
      if (name) hidden[name] = attribute(input[0], "value") ?? "";
    }
    return { action: attribute(m[1]!, "action") ?? "", method: (attribute(m[1]!, "method") ?? "get").toLowerCase(), hidden };
  });
}

const pathMatches = (requestPath: string, cookiePath: string) =>
  requestPath === cookiePath || (requestPath.startsWith(cookiePath) && (cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/"));

export class Browser {
  readonly cookies = new Map<string, { value: string; path: string }>();

  constructor(
    readonly origin: string,
    private readonly transport: Transport,
  ) {}

  async fetch(url: URL | string, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url, this.origin);
    if (target.origin !== new URL(this.origin).origin) throw new Error(`the browser only talks to the OP, not ${target}`);
    const headers = new Headers(init.headers);
    const cookie = [...this.cookies]
      .filter(([, c]) => pathMatches(target.pathname, c.path))
      .map(([name, c]) => `${name}=${c.value}`)
      .join("; ");
    if (cookie) headers.set("cookie", cookie);
    const res = await this.transport(new Request(target, { ...init, headers, redirect: "manual" }));
    for (const header of res.headers.getSetCookie()) this.store(header);
    return res;
  }

  hasCookie(name: string): boolean {
    return this.cookies.has(name);
  }

  private store(header: string) {
    const [pair, ...attributes] = header.split(";").map((s) => s.trim());
    const eq = pair!.indexOf("=");
    const name = pair!.slice(0, eq);
    const value = pair!.slice(eq + 1);
    const attr = (n: string) => attributes.find((a) => a.toLowerCase().startsWith(`${n}=`))?.slice(n.length + 1);
    const maxAge = attr("max-age");
    const expires = attr("expires");
    const expired = maxAge !== undefined ? Number(maxAge) <= 0 : expires !== undefined && Date.parse(expires) <= Date.now();
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, { value, path: attr("path") ?? "/" });
  }

  /** Submits the form whose action ends with `actionSuffix`: its hidden fields plus `fields`. */
  async submit(html: string, actionSuffix: string, fields: Record<string, string>, base: URL | string = this.origin): Promise<Response> {
    const form = parseForms(html).find((f) => f.action.endsWith(actionSuffix));
    if (!form) throw new Error(`no form posting to …${actionSuffix} in:\n${html}`);
    if (form.method !== "post") throw new Error(`form ${form.action} is not POST`);
    return this.fetch(new URL(form.action, base), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ...form.hidden, ...fields }),
    });
  }
}

export interface NavigateOptions {
  username?: string;
  password?: string;
  /** Approve (default) or deny on the consent page. */
  consent?: "approve" | "deny";
}

export interface Navigation {
  /** The redirect that left the OP, if it did. */
  callback?: URL;
  /** A page the OP stopped on instead (an error page, or the login form after a failed login). */
  page?: { status: number; html: string };
  /** The interaction pages shown on the way, in order. */
  pages: ("login" | "consent")[];
}

/**
 * Follows an authorization request as a person would: redirects within the OP, signing in on
 * the login form and answering the consent form, until the OP redirects away or stops on a page.
 */
export async function navigate(browser: Browser, start: URL | string, opts: NavigateOptions = {}): Promise<Navigation> {
  const pages: Navigation["pages"] = [];
  let url = new URL(start, browser.origin);
  let res = await browser.fetch(url);
  for (let step = 0; step < 12; step++) {
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      const location = res.headers.get("location");
      if (!location) throw new Error(`${res.status} without Location from ${url}`);
      const next = new URL(location, url);
      if (next.origin !== new URL(browser.origin).origin) return { callback: next, pages };
      url = next;
      res = await browser.fetch(url);
      continue;
    }
    const html = await res.text();
    const actions = parseForms(html).map((f) => f.action);
    if (res.status === 200 && actions.some((a) => /^\/interaction\/[A-Za-z0-9_-]+\/login$/.test(a))) {
      pages.push("login");
      res = await browser.submit(html, "/login", { username: opts.username ?? "alice", password: opts.password ?? "alice-password", action: "login" }, url);
    } else if (res.status === 200 && actions.some((a) => /^\/interaction\/[A-Za-z0-9_-]+\/consent$/.test(a))) {
      pages.push("consent");
      res = await browser.submit(html, "/consent", { decision: opts.consent ?? "approve" }, url);
    } else {
      return { page: { status: res.status, html }, pages };
    }
  }
  throw new Error(`too many steps, last at ${url}`);
}
