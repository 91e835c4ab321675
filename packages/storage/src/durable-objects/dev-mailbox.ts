import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { MailMessage, MailSender } from "../mail/message";

/** Enough for a test run or an afternoon of trying things; older mail goes first. */
export const MAILBOX_MAX_MESSAGES = 200;
const MAILBOX_KEEP_MS = 24 * 3_600_000;

export interface DeliveredMail extends MailMessage {
  id: string;
  from: MailSender;
  sentAt: number;
}

/**
 * Local development's outbox (MAIL_TRANSPORT=mailbox, refused outside development by config.ts):
 * every mail the OP sends, shown at /dev/mailbox so a person, or a browser test, can follow a
 * link without a mail server. One object per realm; the newest MAILBOX_MAX_MESSAGES, a day at most.
 */
export class DevMailbox extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS mail (seq INTEGER PRIMARY KEY AUTOINCREMENT, sent_at INTEGER NOT NULL, recipient TEXT NOT NULL, record TEXT NOT NULL)",
    );
  }

  async deliver(mail: DeliveredMail): Promise<void> {
    const sql = this.ctx.storage.sql;
    sql.exec("INSERT INTO mail (sent_at, recipient, record) VALUES (?, ?, ?)", mail.sentAt, mail.to.toLowerCase(), JSON.stringify(mail));
    sql.exec("DELETE FROM mail WHERE seq <= (SELECT MAX(seq) FROM mail) - ?", MAILBOX_MAX_MESSAGES);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + MAILBOX_KEEP_MS);
  }

  /** Newest first; only one recipient's when `to` is given. */
  list(to?: string, limit = 50): DeliveredMail[] {
    const rows = to
      ? this.ctx.storage.sql.exec<{ record: string }>("SELECT record FROM mail WHERE recipient = ? ORDER BY seq DESC LIMIT ?", to.toLowerCase(), limit)
      : this.ctx.storage.sql.exec<{ record: string }>("SELECT record FROM mail ORDER BY seq DESC LIMIT ?", limit);
    return rows.toArray().map((r) => JSON.parse(r.record) as DeliveredMail);
  }

  async alarm() {
    const sql = this.ctx.storage.sql;
    sql.exec("DELETE FROM mail WHERE sent_at < ?", Date.now() - MAILBOX_KEEP_MS);
    const oldest = sql.exec<{ t: number | null }>("SELECT MIN(sent_at) AS t FROM mail").one().t;
    if (oldest === null) await this.ctx.storage.deleteAll();
    else await this.ctx.storage.setAlarm(oldest + MAILBOX_KEEP_MS);
  }
}

/** Realm-ready name: one mailbox per issuer. */
export const devMailbox = (env: Pick<Env, "DEV_MAILBOX" | "ISSUER">) => env.DEV_MAILBOX.get(env.DEV_MAILBOX.idFromName(`mailbox\n${env.ISSUER}`));
