import { describe, expect, it } from "vitest";
import { authorize, Browser, basicAuth, completeFlow, op, pkcePair, redeemCode, registerClient } from "./helpers";

/** Single-use artifacts under concurrent use: exactly one success, every other attempt refused. */
describe("concurrency", () => {
  it("20 parallel redemptions of one code give exactly one success", async () => {
    const client = await registerClient();
    const r = await authorize(new Browser(), client);
    const code = r.redirect!.searchParams.get("code")!;
    const results = await Promise.all(Array.from({ length: 20 }, () => redeemCode(client, code, r.verifier)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    for (const res of results.filter((x) => x.status === 400)) expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });

  it("20 parallel uses of one refresh token give exactly one success", async () => {
    const { client, tokens } = await completeFlow({}, { params: { scope: "openid offline_access", prompt: "consent" } });
    expect(tokens.refresh_token).toBeTruthy();
    const refresh = () =>
      op("/token", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: tokens.refresh_token }),
      });
    const statuses = (await Promise.all(Array.from({ length: 20 }, refresh))).map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
  });
});

describe("interactions", () => {
  it("20 parallel approvals of one consent form issue exactly one code", async () => {
    const client = await registerClient();
    const browser = new Browser();
    const { challenge } = await pkcePair();
    const start = await browser.fetch(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid", code_challenge: challenge, code_challenge_method: "S256" })}`,
    );
    const login = await (await browser.fetch(start.headers.get("location")!)).text();
    const consent = await (
      await browser.fetch((await browser.submit(login, "/login", { username: "alice", password: "alice-password", action: "login" })).headers.get("location")!)
    ).text();
    const results = await Promise.all(Array.from({ length: 20 }, () => browser.submit(consent, "/consent", { decision: "approve" })));
    const codes = results.filter((r) => r.status === 303 && new URL(r.headers.get("location")!).searchParams.has("code"));
    expect(codes).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(19);
  });

  it("20 parallel resumptions of one interaction after login issue exactly one code", async () => {
    const client = await registerClient();
    await authorize(new Browser(), client); // alice consents to this client once
    const browser = new Browser();
    const { challenge } = await pkcePair();
    const start = await browser.fetch(
      `/authorize?${new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid", code_challenge: challenge, code_challenge_method: "S256" })}`,
    );
    const interaction = start.headers.get("location")!;
    const login = await (await browser.fetch(interaction)).text();
    expect((await browser.submit(login, "/login", { username: "alice", password: "alice-password", action: "login" })).headers.get("location")).toContain(
      new URL(interaction).pathname,
    );
    const results = await Promise.all(Array.from({ length: 20 }, () => browser.fetch(interaction)));
    const codes = results.filter((r) => r.status === 303 && new URL(r.headers.get("location")!).searchParams.has("code"));
    expect(codes).toHaveLength(1);
    expect(results.filter((r) => r.status === 400)).toHaveLength(19);
  });
});
