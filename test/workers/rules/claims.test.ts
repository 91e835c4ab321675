import { consentableClaims, releaseClaims, requestedClaimNames } from "@op/rules";
import { describe, expect, it } from "vitest";

const user = { name: "Alice", email: "alice@example.com", email_verified: true, phone_number: "+1 555", locale: "en" };

describe("releaseClaims (OIDC Core §5.4, §5.5)", () => {
  it("releases the claims of the granted scopes and of the claims request, pinned values only when they match", () => {
    expect(releaseClaims(user, ["openid", "email"], undefined, true)).toEqual({ email: "alice@example.com", email_verified: true });
    expect(releaseClaims(user, ["openid", "email"], undefined, false)).toEqual({});
    expect(releaseClaims(user, ["openid"], { name: null, phone_number: { essential: true } }, true)).toEqual({ name: "Alice", phone_number: "+1 555" });
    expect(releaseClaims(user, ["openid"], { email: { value: "alice@example.com" } }, true)).toEqual({ email: "alice@example.com" });
    expect(releaseClaims(user, ["openid"], { email: { value: "guess@example.com" } }, true)).toEqual({});
    expect(releaseClaims(user, ["openid"], { constructor: null, __proto__: null } as never, true)).toEqual({});
  });
});

describe("requestedClaimNames, consentableClaims (OIDC Core §5.5)", () => {
  it("names supported claims; protocol claims are never asked for consent", () => {
    expect(requestedClaimNames({ email: null, made_up: null, sub: null })).toEqual(["email", "sub"]);
    expect(consentableClaims({ userinfo: { email: null, sub: { value: "x" } }, id_token: { auth_time: null, name: null, email: null } })).toEqual([
      "email",
      "name",
    ]);
    expect(consentableClaims(undefined)).toEqual([]);
  });
});
