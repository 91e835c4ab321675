import { base64url } from "@op/core";
import type { MailMessage, MailSender, MailTransport } from "./message";

const TIMEOUT_MS = 10_000;

/**
 * Signs as the Standard Webhooks specification does (standardwebhooks.com, `webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), so a
 * provider's relay or a few lines of any language can check that the OP sent it and when.
 */
export async function webhookSignature(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  // A `whsec_` secret is base64, as the specification's libraries make them; any other is its UTF-8 bytes.
  const bytes = secret.startsWith("whsec_") ? Uint8Array.from(atob(secret.slice(6)), (ch) => ch.charCodeAt(0)) : new TextEncoder().encode(secret);
  const key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${id}.${timestamp}.${body}`)));
  return `v1,${btoa(String.fromCharCode(...mac))}`;
}

/**
 * Any mail provider behind an HTTP endpoint: the message as JSON, POSTed and signed. The URL is
 * the operator's (configuration), not a client's, so the client fetch guard does not apply; it
 * is https outside development (config.ts). A non-2xx answer, a redirect or a timeout is a
 * failed send.
 */
export function webhookTransport(url: string, secret: string, fetcher: typeof fetch = fetch): MailTransport {
  return {
    name: "webhook",
    async send(message: MailMessage, from: MailSender) {
      const id = `msg_${base64url(crypto.getRandomValues(new Uint8Array(12)))}`;
      const timestamp = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({
        type: "mail.send",
        id,
        purpose: message.purpose,
        from: { address: from.address, name: from.name },
        to: message.to,
        subject: message.subject,
        text: message.text,
        ...(message.html ? { html: message.html } : {}),
      });
      const response = await fetcher(url, {
        method: "POST",
        redirect: "manual",
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          "content-type": "application/json",
          "webhook-id": id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await webhookSignature(secret, id, timestamp, body),
        },
        body,
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`mail webhook answered ${response.status}`);
    },
  };
}
