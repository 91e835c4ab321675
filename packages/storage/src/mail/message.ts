import { createMimeMessage } from "mimetext";

/** One mail the OP sends a person: a sign-up link, a verification or reset link, an invitation. */
export interface MailMessage {
  to: string;
  subject: string;
  /** Plain text, always sent: the part every mail client shows. */
  text: string;
  html?: string;
  /** What the mail is for (`verify-email`, `reset-password`, …): logged, and told to webhooks. */
  purpose: string;
}

/** Where mail leaves: Cloudflare's `send_email` binding, a provider's webhook, or the development mailbox. */
export interface MailTransport {
  readonly name: "send_email" | "webhook" | "mailbox";
  send(message: MailMessage, from: MailSender): Promise<void>;
}

export interface MailSender {
  address: string;
  name: string;
}

/**
 * RFC 5322 text of a message, multipart/alternative when it has HTML. mimetext writes the
 * headers (encoded words for non-ASCII subjects and names, RFC 2047) and the MIME structure
 * (RFC 2045-2046); hand-written MIME gets both wrong easily.
 */
export function mimeMessage(message: MailMessage, from: MailSender, messageId: string): string {
  const mime = createMimeMessage();
  mime.setSender({ name: from.name, addr: from.address });
  mime.setRecipient(message.to);
  mime.setSubject(message.subject);
  mime.setHeader("Message-ID", `<${messageId}@${from.address.split("@")[1] ?? "localhost"}>`);
  mime.setHeader("Auto-Submitted", "auto-generated"); // RFC 3834 §5: no auto-replies to it
  mime.addMessage({ contentType: "text/plain", data: message.text });
  if (message.html) mime.addMessage({ contentType: "text/html", data: message.html });
  return mime.asRaw();
}
