import { env } from "cloudflare:workers";
import { ConfigSchema } from "@op/core";
import { devMailbox, MAILBOX_MAX_MESSAGES, mimeMessage, sendMail, webhookSignature } from "@op/storage";
import { describe, expect, it } from "vitest";
import { op } from "./helpers";

const sender = { address: "no-reply@op.example.com", name: "Example ID" };

describe("mimeMessage: RFC 5322 text of a mail (mimetext)", () => {
  it("plain text alone, with the sender, recipient, subject and no auto-replies", () => {
    const raw = mimeMessage(
      { to: "ana@example.com", subject: "Verify your address", text: "Open https://op.example.com/x", purpose: "verify-email" },
      sender,
      "m1",
    );
    // mimetext encodes every display name (RFC 2047), ASCII or not.
    expect(raw).toMatch(new RegExp(`^From: =\\?utf-8\\?B\\?${btoa("Example ID")}\\?= <no-reply@op\\.example\\.com>`, "m"));
    expect(raw).toMatch(/^To: <?ana@example\.com>?/m);
    expect(raw).toMatch(/^Subject: /m);
    expect(raw).toMatch(/^Message-ID: <m1@op\.example\.com>/m);
    expect(raw).toMatch(/^Auto-Submitted: auto-generated/m);
    expect(raw).toContain("text/plain");
    expect(raw).not.toContain("text/html");
  });

  it("text and HTML as multipart/alternative; a non-ASCII subject as an encoded word (RFC 2047)", () => {
    const raw = mimeMessage({ to: "zoe@example.com", subject: "Vérifiez votre adresse", text: "t", html: "<p>t</p>", purpose: "verify-email" }, sender, "m2");
    expect(raw).toContain("multipart/alternative");
    expect(raw).toContain("text/html");
    expect(raw).toMatch(/^Subject: =\?utf-8\?B\?/im);
    expect(raw).not.toContain("Vérifiez");
  });
});

describe("webhookSignature (Standard Webhooks)", () => {
  it("matches the specification's test vector", async () => {
    // standard-webhooks' reference test: a whsec_ secret is base64.
    const signature = await webhookSignature("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(signature).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("changes with the id, the time and every byte of the body", async () => {
    const base = await webhookSignature("a-secret-of-at-least-thirty-two-chars", "msg_1", 1, "{}");
    expect(await webhookSignature("a-secret-of-at-least-thirty-two-chars", "msg_2", 1, "{}")).not.toBe(base);
    expect(await webhookSignature("a-secret-of-at-least-thirty-two-chars", "msg_1", 2, "{}")).not.toBe(base);
    expect(await webhookSignature("a-secret-of-at-least-thirty-two-chars", "msg_1", 1, "{ }")).not.toBe(base);
  });
});

describe("mail settings", () => {
  const parse = (vars: Record<string, string>) => ConfigSchema.safeParse({ ISSUER: "https://op.example.com", ...vars });

  it("development keeps mail in the mailbox; production sends none until a transport is set", () => {
    expect(parse({ ENVIRONMENT: "development" }).data?.mail.transport).toBe("mailbox");
    expect(parse({}).data?.mail.transport).toBe("none");
    expect(parse({}).data?.mail.from).toBe("no-reply@op.example.com");
  });

  it("refuses a mailbox outside development, send_email without a sender, a webhook without URL and secret or over http", () => {
    expect(parse({ MAIL_TRANSPORT: "mailbox" }).success).toBe(false);
    expect(parse({ MAIL_TRANSPORT: "send_email" }).success).toBe(false);
    expect(parse({ MAIL_TRANSPORT: "send_email", MAIL_FROM: "id@op.example.com" }).success).toBe(true);
    expect(parse({ MAIL_TRANSPORT: "webhook", MAIL_WEBHOOK_URL: "https://mail.example.com/hook" }).success).toBe(false);
    const secret = "s".repeat(32);
    expect(parse({ MAIL_TRANSPORT: "webhook", MAIL_WEBHOOK_URL: "http://mail.example.com/hook", MAIL_WEBHOOK_SECRET: secret }).success).toBe(false);
    expect(parse({ MAIL_TRANSPORT: "webhook", MAIL_WEBHOOK_URL: "https://mail.example.com/hook", MAIL_WEBHOOK_SECRET: secret }).success).toBe(true);
  });
});

describe("the development mailbox", () => {
  it("keeps what sendMail sent, shows it at /dev/mailbox as a page and as JSON, per recipient", async () => {
    const to = `m-${crypto.randomUUID()}@example.com`;
    await sendMail(env, { to, subject: "Reset your password", text: "Open http://localhost:8787/reset?t=abc<script>", purpose: "reset-password" });
    const listed = await (await op(`/dev/mailbox?to=${encodeURIComponent(to)}`, { headers: { accept: "application/json" } })).json<{
      mails: Array<Record<string, unknown>>;
    }>();
    expect(listed.mails).toHaveLength(1);
    expect(listed.mails[0]).toMatchObject({ to, subject: "Reset your password", purpose: "reset-password", from: { address: "no-reply@localhost" } });
    const res = await op(`/dev/mailbox?to=${encodeURIComponent(to)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toContain("no-store");
    const page = await res.text();
    expect(page).toContain('<a href="http://localhost:8787/reset?t=abc">');
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;script&gt;");
  });

  it("holds the newest messages only", async () => {
    const box = devMailbox({ ...env, ISSUER: `https://bounded-${crypto.randomUUID()}.example` });
    for (let i = 0; i < MAILBOX_MAX_MESSAGES + 5; i++) {
      await box.deliver({ id: String(i), to: "x@example.com", subject: `#${i}`, text: "", purpose: "t", from: sender, sentAt: Date.now() });
    }
    const all = await box.list(undefined, 1000);
    expect(all).toHaveLength(MAILBOX_MAX_MESSAGES);
    expect(all[0]!.subject).toBe(`#${MAILBOX_MAX_MESSAGES + 4}`);
  });
});
