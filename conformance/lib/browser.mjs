// A real headless Chromium (@sparticuz/chromium + playwright-core) acting as the user: it
// follows the authorization request, signs alice in on our login page, approves consent,
// and stops when the OP sends it to the RP's redirect URI (or on a page where it stays).
import sparticuz from "@sparticuz/chromium";
import { chromium } from "playwright-core";

export const USER = { username: "alice", password: "alice-password" };
const STEP_TIMEOUT_MS = 20_000;

export async function launchBrowser() {
  const executablePath = await sparticuz.executablePath();
  // Without --single-process: in that mode Chromium dies as soon as a page or context closes,
  // and every module here uses (and closes) its own browser profile.
  const args = [...sparticuz.args.filter((a) => a !== "--single-process"), "--disable-background-networking"];
  const browser = await chromium.launch({ executablePath, args, headless: true });
  return {
    /** A fresh browser profile: no OP session yet. */
    async session() {
      const context = await browser.newContext();
      context.setDefaultTimeout(STEP_TIMEOUT_MS); // a stuck page fails its module with a reason, not the module timeout
      return new Session(context);
    },
    close: () => browser.close(),
  };
}

/** One user's browser profile: the OP session cookie lives here across authorizations. */
class Session {
  constructor(context) {
    this.context = context;
    /** Where the last authorization got to: named in the module's failure if it hangs. */
    this.last = "idle";
  }

  close() {
    return bounded(this.context.close(), 5_000);
  }

  /**
   * Opens `start` (a URL, or { url, params } sent as an HTML form POST) and acts as the user
   * until the browser reaches a URL starting with `redirectBase` or stops on another page.
   * Returns { callback?: { url, method, body }, page?: { status, url, text, html }, pages }:
   * `pages` lists the interaction pages seen ("login", "consent", "logout-confirmation",
   * "frontchannel"). `logout` answers the OP's logout confirmation ("confirm" or "stay");
   * without it the browser stops there. The front-channel logout page, which goes on by itself
   * once its relying parties' iframes have loaded, is waited for.
   */
  async authorize(start, { redirectBase, login = true, consent = true, logout } = {}) {
    this.last = "opening a page";
    const page = await this.context.newPage();
    const step = (what) => (this.last = `${what} (at ${page.url()})`);
    const docs = [];
    let wake = () => {};
    page.on("response", (resp) => {
      const req = resp.request();
      if (!req.isNavigationRequest() || req.frame() !== page.mainFrame()) return;
      const status = resp.status();
      if (status >= 300 && status < 400) return;
      docs.push({ status, url: resp.url(), method: req.method(), body: req.postData(), source: resp.text().catch(() => "") });
      if (process.env.CONFORMANCE_DEBUG) console.log("doc", status, req.method(), resp.url());
      wake();
    });
    const nextDoc = async () => {
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      while (!docs.length) {
        if (Date.now() > deadline) throw new Error(`the browser saw no new page within ${STEP_TIMEOUT_MS / 1000} s (at ${page.url()})`);
        await new Promise((r) => {
          wake = r;
          setTimeout(r, 100);
        });
      }
      return docs.shift();
    };
    const isCallback = (u) => u.startsWith(redirectBase);
    try {
      step("starting");
      if (typeof start === "string" || start instanceof URL) {
        page.goto(String(start), { waitUntil: "commit" }).catch(() => {});
      } else {
        await page.setContent("<!doctype html><title>RP</title>");
        await page.evaluate(
          ({ url, params }) => {
            const form = document.createElement("form");
            form.method = "POST";
            form.action = url;
            for (const [k, v] of Object.entries(params)) {
              const input = document.createElement("input");
              input.type = "hidden";
              input.name = k;
              input.value = v;
              form.append(input);
            }
            document.body.append(form);
            form.submit();
          },
          { url: String(start.url), params: start.params },
        );
      }
      const pages = [];
      for (let n = 0; n < 12; n++) {
        step("waiting for a page");
        let doc = await nextDoc();
        while (docs.length) doc = docs.shift(); // an auto-submitted page already moved on
        if (isCallback(doc.url)) {
          await page.waitForURL((u) => isCallback(u.href), { waitUntil: "commit" });
          return { callback: { url: new URL(page.url()), method: doc.method, body: doc.body }, pages };
        }
        step(`reading ${doc.status} ${doc.url}`);
        const kind = await pageKind(page, doc, docs, redirectBase);
        step(`acting on ${kind} page`);
        if (kind === "moved") continue;
        if (process.env.CONFORMANCE_DEBUG) console.log("page", kind, page.url());
        if (kind === "login") {
          pages.push("login");
          if (!login) return { page: await snapshot(page, doc), pages };
          await page.fill("#username", USER.username);
          await page.fill("#password", USER.password);
          await page.click('button[value="login"]');
        } else if (kind === "consent") {
          pages.push("consent");
          if (!consent) return { page: await snapshot(page, doc), pages };
          await page.click("#approve");
        } else if (kind === "logout-confirmation") {
          pages.push(kind);
          if (!logout) return { page: await snapshot(page, doc), pages };
          await page.click(logout === "confirm" ? "#logout" : "#stay");
        } else if (kind === "frontchannel") {
          pages.push(kind);
          // The page loads the iframes, then moves on by itself (FRONTCHANNEL_LOGOUT_WAIT_MS at most).
          if (!(await docArrives(docs, STEP_TIMEOUT_MS))) return { page: await snapshot(page, doc), pages };
        } else if (kind === "form_post") {
          // response_mode=form_post: the page submits itself; without script the button does.
          const moved = await docArrives(docs, 3000);
          if (!moved) await page.click("form button, form input[type=submit]").catch(() => {});
        } else {
          return { page: await snapshot(page, doc), pages };
        }
      }
      throw new Error("too many pages");
    } finally {
      this.last = "closing the page";
      await bounded(page.close(), 5_000).catch(() => {});
      this.last = "idle";
    }
  }
}

/**
 * Opens `url` in a new page of this profile and waits until the top-level URL starts with
 * `until` (a page of the RP that script moved to, e.g. the session check's result); returns that URL.
 */
Session.prototype.visit = async function visit(url, { until, timeoutMs = STEP_TIMEOUT_MS } = {}) {
  this.last = `visiting ${url}`;
  const page = await this.context.newPage();
  try {
    if (process.env.CONFORMANCE_DEBUG) page.on("console", (m) => console.log("console", m.text()));
    await page.goto(String(url), { waitUntil: "commit" });
    await page.waitForURL((u) => u.href.startsWith(until), { waitUntil: "commit", timeout: timeoutMs });
    return new URL(page.url());
  } catch (e) {
    throw new Error(`the browser did not reach ${until} within ${timeoutMs / 1000} s (at ${page.url()}): ${e.message.split("\n")[0]}`);
  } finally {
    await bounded(page.close(), 5_000).catch(() => {});
    this.last = "idle";
  }
};

/** What the current page asks of the user, once the document `doc` is the one shown. */
async function pageKind(page, doc, docs, redirectBase) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (docs.length) return "moved"; // the page moved on by itself (form_post auto-submit)
    try {
      await page.waitForURL((u) => u.href.split("#")[0] === doc.url.split("#")[0], {
        waitUntil: "domcontentloaded",
        timeout: Math.max(1, Math.min(5_000, deadline - Date.now())),
      });
      // A new document has no marker yet; the one we already handled (same URL after a POST) has.
      if (await page.evaluate(() => window.__conformanceSeen === true)) throw new Error("navigation: old document");
      await page.evaluate(() => (window.__conformanceSeen = true));
      const has = async (selector) => (await page.$(selector)) !== null;
      if (await has('form[action$="/login"] input[name=password]')) return "login";
      if (await has('form[action$="/consent"]')) return "consent";
      if (await has('form[action$="/session/end/confirm"]')) return "logout-confirmation";
      if (await has('#frontchannel[data-next]:not([data-next=""])')) return "frontchannel";
      const formPost = await page.evaluate((base) => [...document.forms].some((f) => (f.getAttribute("action") ?? "").startsWith(base)), redirectBase);
      if (formPost) return "form_post";
      // An error page stays; a page that was only passing through (a form_post page that
      // already submitted itself) shows up as a new document within a moment.
      await new Promise((r) => setTimeout(r, 300));
      return docs.length ? "moved" : "other";
    } catch (e) {
      if (!/context was destroyed|navigation|Timeout/i.test(e.message)) throw e;
      await new Promise((r) => setTimeout(r, 100)); // the document is still being committed
    }
  }
  throw new Error(`the page ${doc.status} ${doc.url} did not become readable within ${STEP_TIMEOUT_MS / 1000} s (browser at ${page.url()})`);
}

/** `promise`, or undefined once `ms` have passed (closing a stuck page must not stall a module). */
const bounded = (promise, ms) => Promise.race([promise, new Promise((r) => setTimeout(r, ms))]);

/** Whether a new document shows up within `ms`. */
async function docArrives(docs, ms) {
  const deadline = Date.now() + ms;
  while (!docs.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return docs.length > 0;
}

async function snapshot(page, doc) {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text, as the suite reads it
  const text = await page.innerText("body").catch(() => "");
  // `html` is the page as shown (after its scripts); `source` the document as the OP sent it.
  return { status: doc.status, url: page.url(), text, html: await page.content(), source: await doc.source };
}
