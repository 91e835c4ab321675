import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sparticuz from "@sparticuz/chromium";
import * as oidc from "openid-client";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discover, issuer, register } from "./support";

/**
 * OAuth 2.0 Form Post Response Mode §2 as a person's browser sees it: the response page posts
 * the parameters to the RP by script, and by its button when scripts are off. A real headless
 * Chromium signs in on our pages; a Node server stands in for the RP and records what arrives.
 */

let browser: Browser;
let rp: Server;
let redirectUri: string;
const received: Array<{ method: string; body: string }> = [];

beforeAll(async () => {
  rp = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push({ method: req.method ?? "", body });
      res.writeHead(200, { "content-type": "text/plain" }).end("received");
    });
  });
  await new Promise<void>((resolve) => rp.listen(0, "127.0.0.1", resolve));
  redirectUri = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/cb`;
  const args = [...sparticuz.args.filter((a) => a !== "--single-process"), "--disable-background-networking"];
  browser = await chromium.launch({ executablePath: await sparticuz.executablePath(), args, headless: true });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => rp?.close(resolve));
});

describe("response_mode=form_post in a real browser", () => {
  it.each([
    ["with scripts", true],
    ["without scripts (the Continue button)", false],
  ])("%s: the code arrives at the RP by POST and redeems", async (_name, javaScriptEnabled) => {
    const client = await register({ redirect_uris: [redirectUri] });
    const config = await discover(client);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: "openid",
      response_mode: "form_post",
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });

    const context = await browser.newContext({ javaScriptEnabled });
    try {
      const page = await context.newPage();
      await page.goto(url.href);
      await page.fill("#username", "alice");
      await page.fill("#password", "alice-password");
      await page.click('button[value="login"]');
      await page.click("#approve");
      if (!javaScriptEnabled) {
        // The response page itself, waiting for the person: no script ran.
        await page.getByRole("button", { name: "Continue" }).click();
      }
      await page.waitForURL(redirectUri);
      expect(await page.textContent("body")).toBe("received");
    } finally {
      await context.close();
    }

    const post = received.at(-1)!;
    expect(post.method).toBe("POST");
    const params = new URLSearchParams(post.body);
    expect(params.get("state")).toBe(state);
    expect(params.get("iss")).toBe(issuer);
    // openid-client checks iss and state (RFC 9207) on the posted parameters and redeems the code.
    const callback = new URL(redirectUri);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new Request(callback, { method: "POST", body: params, headers: { "content-type": "application/x-www-form-urlencoded" } }),
      { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true },
    );
    expect(tokens.claims()?.sub).toMatch(/^[0-9a-f]{64}$/);
  });
});
