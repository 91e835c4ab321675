import { EmailMessage } from "cloudflare:email";
import { randomToken } from "@op/core";
import { type MailMessage, type MailSender, type MailTransport, mimeMessage } from "./message";

/** The `send_email` binding's shape (wrangler.toml `[[send_email]] name = "SEND_EMAIL"`). */
export interface SendEmailBinding {
  send(message: EmailMessage): Promise<void>;
}

/**
 * Cloudflare Email Routing's `send_email` binding: the message as MIME, from an address of the
 * operator's zone. Cloudflare delivers only to verified destination addresses unless the zone
 * sends to any (docs/users.md, Mail).
 */
export function sendEmailTransport(binding: SendEmailBinding): MailTransport {
  return {
    name: "send_email",
    async send(message: MailMessage, from: MailSender) {
      const raw = mimeMessage(message, from, randomToken(16));
      await binding.send(new EmailMessage(from.address, message.to, raw));
    },
  };
}
