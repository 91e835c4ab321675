import { grantableScopes, narrowScope, offlineAccessAllowed, scopesOf } from "@op/rules";
import { describe, expect, it } from "vitest";

const client = { scope: undefined, grant_types: ["authorization_code", "refresh_token"] } as never;

describe("scopesOf (RFC 6749 §3.3)", () => {
  it("is a set of non-empty strings", () => {
    expect(scopesOf("  openid  openid profile ")).toEqual(["openid", "profile"]);
    expect(scopesOf(undefined)).toEqual([]);
  });
});

describe("grantableScopes (OIDC Core §3.1.2.1, §11)", () => {
  it("ignores unknown scopes, keeps the client's registered ones, and offline_access only where allowed", () => {
    expect(grantableScopes(client, "openid profile foo constructor", { offlineAccess: true })).toEqual(["openid", "profile"]);
    expect(grantableScopes(client, "openid offline_access", { offlineAccess: true })).toEqual(["openid", "offline_access"]);
    expect(grantableScopes(client, "openid offline_access", { offlineAccess: false })).toEqual(["openid"]);
    expect(grantableScopes({ scope: undefined, grant_types: ["authorization_code"] } as never, "openid offline_access", { offlineAccess: true })).toEqual([
      "openid",
    ]);
    expect(grantableScopes({ scope: "email", grant_types: ["authorization_code"] } as never, "openid email profile", { offlineAccess: true })).toEqual([
      "openid",
      "email",
    ]);
  });
});

describe("offlineAccessAllowed (OIDC Core §11)", () => {
  it("needs a response type that returns a code and prompt=consent", () => {
    expect(offlineAccessAllowed("code", ["consent"])).toBe(true);
    expect(offlineAccessAllowed("code id_token", ["login", "consent"])).toBe(true);
    expect(offlineAccessAllowed("code", [])).toBe(false);
    expect(offlineAccessAllowed("id_token token", ["consent"])).toBe(false);
  });
});

describe("narrowScope (RFC 6749 §6, RFC 8693 §2.1)", () => {
  it("narrows, never widens", () => {
    expect(narrowScope("openid email", undefined)).toBe("openid email");
    expect(narrowScope("openid email", "email")).toBe("email");
    expect(narrowScope("openid email", "email profile")).toBeNull();
    expect(narrowScope("openid email", " ")).toBeNull();
  });
});
