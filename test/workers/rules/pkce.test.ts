import { checkCodeChallenge, PKCE_VALUE, pkceRefusal, pkceRequired, s256Of } from "@op/rules";
import { describe, expect, it } from "vitest";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"; // RFC 7636 Appendix B

describe("s256Of, pkceRefusal (RFC 7636 §4.2, §4.6; RFC 9700 §2.1.1)", () => {
  it("computes the RFC's example and refuses every other verifier, and a verifier without a challenge", async () => {
    expect(PKCE_VALUE.test(VERIFIER)).toBe(true);
    expect(await s256Of(VERIFIER)).toBe(CHALLENGE);
    const code = { codeChallenge: CHALLENGE, codeChallengeMethod: "S256" as const };
    expect(pkceRefusal(code, VERIFIER, await s256Of(VERIFIER))).toBeNull();
    expect(pkceRefusal(code, undefined, undefined)).toMatch(/required/);
    expect(pkceRefusal(code, "short", await s256Of("short"))).toMatch(/malformed/);
    expect(pkceRefusal(code, "x".repeat(43), await s256Of("x".repeat(43)))).toMatch(/does not match/);
    expect(pkceRefusal({}, VERIFIER, await s256Of(VERIFIER))).toMatch(/no code_challenge/); // downgrade
    expect(pkceRefusal({}, undefined, undefined)).toBeNull();
  });
});

describe("checkCodeChallenge, pkceRequired (RFC 7636 §4.3, RFC 9700 §2.1.1)", () => {
  it("requires a well-formed S256 challenge where PKCE is required, plain only when enabled", () => {
    const strict = { required: true, plainAllowed: false };
    expect(checkCodeChallenge({ code_challenge: CHALLENGE, code_challenge_method: "S256" }, strict)).toEqual({
      codeChallenge: CHALLENGE,
      codeChallengeMethod: "S256",
    });
    expect(() => checkCodeChallenge({}, strict)).toThrow(/required/);
    expect(() => checkCodeChallenge({ code_challenge: CHALLENGE }, strict)).toThrow(/plain is not supported/);
    expect(checkCodeChallenge({ code_challenge: CHALLENGE }, { required: false, plainAllowed: true })).toMatchObject({ codeChallengeMethod: "plain" });
    expect(() => checkCodeChallenge({ code_challenge: "too-short" }, { required: false, plainAllowed: true })).toThrow(/malformed/);
    expect(() => checkCodeChallenge({ code_challenge_method: "S256" }, { required: false, plainAllowed: false })).toThrow(/without code_challenge/);
    expect(pkceRequired({ token_endpoint_auth_method: "none" }, "code")).toBe(true);
    expect(pkceRequired({ token_endpoint_auth_method: "client_secret_basic", require_pkce: true }, "code id_token")).toBe(true);
    expect(pkceRequired({ token_endpoint_auth_method: "client_secret_basic" }, "code")).toBe(false);
    expect(pkceRequired({ token_endpoint_auth_method: "none" }, "id_token")).toBe(false);
  });
});
