import { getConfig, notFound } from "@op/core";
import { json, type OpContext } from "@op/http";
import { devMailbox } from "@op/storage";
import { html, page } from "../html";
import { localeOf } from "../ui/i18n";

/** Links in a mail's text, shown as links (the text is escaped first by the html tag). */
const LINK = /https?:\/\/[^\s<>"']+/g;

function linkified(text: string) {
  const parts = [];
  let last = 0;
  for (const m of text.matchAll(LINK)) {
    parts.push(text.slice(last, m.index), html`<a href="${m[0]}">${m[0]}</a>`);
    last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

/**
 * GET /dev/mailbox[?to=<address>]: the mail the OP sent, newest first, as a page or (Accept:
 * application/json) as JSON for browser tests. It exists only with MAIL_TRANSPORT=mailbox, which
 * config.ts allows in development only: anywhere else the path is 404 like any unknown one.
 */
export async function showMailbox(c: OpContext): Promise<Response> {
  const config = getConfig(c.env);
  if (!config.development || config.mail.transport !== "mailbox") throw notFound("There is nothing at this address.");
  const to = c.req.query("to") || undefined;
  const mails = await devMailbox(c.env).list(to);
  if ((c.req.header("accept") ?? "").includes("application/json")) return json({ mails });
  const locale = localeOf(c.req.raw, []);
  const body = html`<h1>Mailbox</h1>
<p class="note">Development only: mail the OP sent${to ? html` to ${to}` : ""}, newest first (MAIL_TRANSPORT=mailbox).</p>
${
  mails.length
    ? mails.map(
        (m) => html`<article class="mail"><h2>${m.subject}</h2>
<p class="note">To ${m.to} · ${new Date(m.sentAt).toISOString()} · ${m.purpose}</p>
<pre class="mail-text">${linkified(m.text)}</pre></article>`,
      )
    : html`<p>No mail yet.</p>`
}`;
  return page({ env: c.env, locale, title: "Mailbox", headers: { "Cache-Control": "no-store" } }, body);
}
