import { sha256b64url } from "@op/core";
import {
  BACKCHANNEL_LOGOUT_EVENT,
  backchannelOutcome,
  backchannelRetryDelay,
  frontchannelLogoutUrl,
  initiateLoginUrl,
  logoutNeedsConfirmation,
  logoutTokenClaims,
  rpOrigin,
  sessionState,
} from "@op/rules";
import { describe, expect, it } from "vitest";

describe("logoutTokenClaims (OIDC Back-Channel Logout §2.4)", () => {
  it("names the issuer, the client, the subject and the session, with the logout event, an expiry and never a nonce", () => {
    const claims = logoutTokenClaims({ issuer: "https://op.example", clientId: "c1", sub: "s", sid: "sid1", iat: 1000, ttl: 120, jti: "j" });
    expect(claims).toEqual({
      iss: "https://op.example",
      aud: "c1",
      iat: 1000,
      exp: 1120,
      jti: "j",
      sub: "s",
      sid: "sid1",
      events: { "http://schemas.openid.net/event/backchannel-logout": {} },
    });
    expect(BACKCHANNEL_LOGOUT_EVENT).toBe("http://schemas.openid.net/event/backchannel-logout");
    expect(claims).not.toHaveProperty("nonce");
  });
});

describe("backchannelOutcome (OIDC Back-Channel Logout §2.8)", () => {
  it("takes 2xx as delivered, retries what may pass, and gives up on what sending again cannot change", () => {
    for (const s of [200, 204]) expect(backchannelOutcome(s)).toBe("delivered");
    for (const a of ["timeout", "unreachable", 408, 425, 429, 500, 502, 503, 504] as const) expect(backchannelOutcome(a)).toBe("retry");
    for (const s of [301, 302, 303, 307, 400, 401, 403, 404, 405, 410, 501]) expect(backchannelOutcome(s)).toBe("refused");
  });
});

describe("backchannelRetryDelay (OIDC Back-Channel Logout §2.8)", () => {
  it("waits longer after each attempt and stops after the sixth", () => {
    const delays = [1, 2, 3, 4, 5].map(backchannelRetryDelay) as number[];
    expect(delays).toEqual([10_000, 30_000, 120_000, 600_000, 1_800_000]);
    for (let i = 1; i < delays.length; i++) expect(delays[i]!).toBeGreaterThan(delays[i - 1]!);
    expect(backchannelRetryDelay(6)).toBeNull();
    expect(backchannelRetryDelay(60)).toBeNull();
    expect(backchannelRetryDelay(0)).toBe(0);
  });
});

describe("frontchannelLogoutUrl (OIDC Front-Channel Logout §2-§3)", () => {
  it("adds iss and sid together, keeps the RP's own query, drops a fragment, and refuses what is not a URI", () => {
    const url = new URL(frontchannelLogoutUrl("https://rp.example/fc?app=1#x", { issuer: "https://op.example", sid: "s 1" })!);
    expect(url.origin + url.pathname).toBe("https://rp.example/fc");
    expect(Object.fromEntries(url.searchParams)).toEqual({ app: "1", iss: "https://op.example", sid: "s 1" });
    expect(url.hash).toBe("");
    expect(frontchannelLogoutUrl("not a uri", { issuer: "https://op.example", sid: "s" })).toBeNull();
  });
});

describe("sessionState, rpOrigin (OIDC Session Management §3)", () => {
  it("is the SHA-256 of client, origin, browser state and salt, then the salt; any of them changed gives another value", async () => {
    const base = { clientId: "c1", origin: "https://rp.example", browserState: "bs", salt: "salt1" };
    const value = await sessionState(base);
    expect(value).toBe(`${await sha256b64url("c1 https://rp.example bs salt1")}.salt1`);
    for (const change of [{ clientId: "c2" }, { origin: "https://evil.example" }, { browserState: "bs2" }]) {
      expect((await sessionState({ ...base, ...change })).split(".")[0]).not.toBe(value.split(".")[0]);
    }
    expect(rpOrigin("https://rp.example:8443/cb?x=1")).toBe("https://rp.example:8443");
    expect(rpOrigin("com.example.app:/cb")).toBeNull();
    expect(rpOrigin("nope")).toBeNull();
  });
});

describe("logoutNeedsConfirmation (OIDC RP-Initiated Logout §2)", () => {
  const session = { sub: "alice", sid: "s1" };
  it("logs out without asking only when the id_token_hint is this session's user (and sid, when it has one)", () => {
    expect(logoutNeedsConfirmation({ hintSub: "alice", hintSid: "s1" }, session)).toBe(false);
    expect(logoutNeedsConfirmation({ hintSub: "alice" }, session)).toBe(false);
    expect(logoutNeedsConfirmation({}, session)).toBe(true);
    expect(logoutNeedsConfirmation({ hintSub: "bob", hintSid: "s1" }, session)).toBe(true);
    expect(logoutNeedsConfirmation({ hintSub: "alice", hintSid: "s0" }, session)).toBe(true);
  });
  it("asks when a logout_hint names someone else", () => {
    expect(logoutNeedsConfirmation({ hintSub: "alice", logoutHint: { matches: true } }, session)).toBe(false);
    expect(logoutNeedsConfirmation({ hintSub: "alice", logoutHint: { matches: false } }, session)).toBe(true);
    expect(logoutNeedsConfirmation({ logoutHint: { matches: true } }, session)).toBe(true);
  });
});

describe("initiateLoginUrl (OIDC Core §4)", () => {
  it("sends iss, and login_hint and target_link_uri when given, to the client's initiate_login_uri", () => {
    const url = new URL(
      initiateLoginUrl("https://rp.example/login?from=op", { issuer: "https://op.example", loginHint: "alice", targetLinkUri: "https://rp.example/a" })!,
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: "op",
      iss: "https://op.example",
      login_hint: "alice",
      target_link_uri: "https://rp.example/a",
    });
    expect(new URL(initiateLoginUrl("https://rp.example/login", { issuer: "https://op.example" })!).search).toBe("?iss=https%3A%2F%2Fop.example");
    expect(initiateLoginUrl(undefined, { issuer: "https://op.example" })).toBeNull();
  });
});
