import { describe, expect, it } from "vitest";
import { decide } from "../../packages/op-auth/src/authorization/decision";
import type { PromptContext } from "../../packages/op-auth/src/authorization/prompts/index";

const now = 1_800_000_000;
const session = { sub: "a".repeat(64), sid: "sid-1", authTime: now - 600, acr: "x", amr: ["pwd"], createdAt: 0, expiresAt: 0, clients: [], grants: [] };
const request = {
  clientId: "c",
  redirectUri: "https://rp.example/cb",
  redirectUriSent: true,
  responseType: "code",
  responseMode: "query",
  scopes: ["openid", "email"],
  prompt: [],
  resources: [],
} as unknown as PromptContext["request"];
const ctx = (over: Partial<PromptContext> = {}, req: Partial<PromptContext["request"]> = {}): PromptContext => ({
  request: { ...request, ...req },
  session,
  sessionSub: session.sub,
  consent: { scopes: ["openid", "email"], claims: [], grantedAt: 0 },
  progress: {},
  now,
  ...over,
});
const reasons = (c: PromptContext) => {
  const d = decide(c);
  return d.kind === "login" || d.kind === "consent"
    ? `${d.kind}:${d.reasons.map((r) => r.reason).join(",")}`
    : d.kind === "error"
      ? `error:${d.error.error}`
      : d.kind;
};

describe("decide: the login prompt's checks (OIDC Core §3.1.2.3)", () => {
  it("names each reason to sign in, and a login within the interaction meets all but no_session", () => {
    expect(reasons(ctx({ session: null, sessionSub: undefined }))).toBe("login:no_session");
    expect(reasons(ctx({}, { prompt: ["login"] }))).toBe("login:login_prompt");
    expect(reasons(ctx({}, { prompt: ["select_account"] }))).toBe("login:login_prompt");
    expect(reasons(ctx({}, { maxAge: 0 }))).toBe("login:max_age");
    expect(reasons(ctx({}, { maxAge: 300 }))).toBe("login:max_age");
    expect(reasons(ctx({}, { maxAge: 3600 }))).toBe("issue");
    expect(reasons(ctx({}, { idTokenHintSub: "someone-else" }))).toBe("login:id_token_hint");
    const here = { progress: { loggedInSid: "sid-1" } };
    expect(reasons(ctx(here, { prompt: ["login"], maxAge: 0 }))).toBe("issue");
    // A login in another session (another tab) does not count for this interaction.
    expect(reasons(ctx({ progress: { loggedInSid: "sid-other" } }, { prompt: ["login"] }))).toBe("login:login_prompt");
    // Signed in here and still not the user the request names: refused, not asked again.
    expect(reasons(ctx(here, { idTokenHintSub: "someone-else" }))).toBe("error:access_denied");
  });

  it("prompt=none turns a needed prompt into its error (OIDC Core §3.1.2.6)", () => {
    expect(reasons(ctx({ session: null, sessionSub: undefined }, { prompt: ["none"] }))).toBe("error:login_required");
    expect(reasons(ctx({ consent: null }, { prompt: ["none"] }))).toBe("error:consent_required");
    expect(reasons(ctx({}, { prompt: ["none"] }))).toBe("issue");
  });
});

describe("decide: the consent prompt's checks (OIDC Core §3.1.2.4)", () => {
  it("asks for what was not granted, and counts a consent given here only for the user who gave it", () => {
    expect(reasons(ctx({ consent: null }))).toBe("consent:scopes_missing");
    expect(reasons(ctx({}, { scopes: ["openid", "email", "profile"] }))).toBe("consent:scopes_missing");
    expect(reasons(ctx({}, { claims: { userinfo: { phone_number: null } } }))).toBe("consent:claims_missing");
    expect(reasons(ctx({}, { claims: { userinfo: { sub: null, auth_time: null } } }))).toBe("issue"); // protocol claims need no consent
    expect(reasons(ctx({}, { prompt: ["consent"] }))).toBe("consent:consent_prompt");
    expect(reasons(ctx({ progress: { consentedBy: session.sub } }, { prompt: ["consent"] }))).toBe("issue");
    expect(reasons(ctx({ consent: null, progress: { consentedBy: "b".repeat(64) } }))).toBe("consent:scopes_missing");
  });
});
