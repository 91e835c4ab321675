import { getConfig } from "@op/core";
import { devMailbox } from "../durable-objects/dev-mailbox";
import type { Env } from "../env";
import type { MailMessage, MailSender, MailTransport } from "./message";
import { type SendEmailBinding, sendEmailTransport } from "./send-email";
import { webhookTransport } from "./webhook";

type MailEnv = Pick<Env, "ISSUER" | "ENVIRONMENT" | "DEV_MAILBOX"> & { SEND_EMAIL?: SendEmailBinding; [key: string]: unknown };

function mailboxTransport(env: MailEnv): MailTransport {
  return {
    name: "mailbox",
    async send(message: MailMessage, from: MailSender) {
      await devMailbox(env).deliver({ ...message, id: crypto.randomUUID(), from, sentAt: Date.now() });
    },
  };
}

/** The one transport MAIL_TRANSPORT names, or null when the OP sends no mail (features that need it are off). */
export function mailTransport(env: MailEnv): MailTransport | null {
  const { mail } = getConfig(env);
  switch (mail.transport) {
    case "send_email":
      if (!env.SEND_EMAIL) throw new Error("MAIL_TRANSPORT=send_email needs a [[send_email]] binding named SEND_EMAIL");
      return sendEmailTransport(env.SEND_EMAIL);
    case "webhook":
      return webhookTransport(mail.webhookUrl!, mail.webhookSecret!);
    case "mailbox":
      return mailboxTransport(env);
    default:
      return null;
  }
}

/**
 * Sends one mail through the configured transport. A failure is thrown to the caller, which
 * decides what the person sees: pages that must not tell whether an address exists send in
 * `waitUntil` and only log a failure.
 */
export async function sendMail(env: MailEnv, message: MailMessage): Promise<void> {
  const transport = mailTransport(env);
  if (!transport) throw new Error("no mail transport is configured (MAIL_TRANSPORT)");
  const { mail, brand } = getConfig(env);
  await transport.send(message, { address: mail.from, name: brand.name });
}
