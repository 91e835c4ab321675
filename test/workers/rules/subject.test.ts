import { sectorIdentifier, subjectFor, wantsRefreshToken } from "@op/rules";
import { describe, expect, it } from "vitest";

const account = "ab".repeat(32);
const salt = { pairwiseSalt: "s".repeat(32) };

describe("sectorIdentifier (OIDC Core §8.1)", () => {
  it("is the host of sector_identifier_uri, else of the redirect URIs", () => {
    expect(sectorIdentifier({ sector_identifier_uri: "https://Sector.Example/list.json", redirect_uris: ["https://rp.example/cb"] })).toBe("sector.example");
    expect(sectorIdentifier({ redirect_uris: ["https://rp.example/cb"] })).toBe("rp.example");
    expect(sectorIdentifier({ redirect_uris: [] })).toBeUndefined();
  });
});

describe("subjectFor (OIDC Core §8, §8.1)", () => {
  it("is the account id for public clients; for pairwise ones stable per sector, different across sectors", async () => {
    const pairwise = (uri: string) => ({ subject_type: "pairwise" as const, redirect_uris: [uri] });
    expect(await subjectFor({ redirect_uris: [] }, account, salt)).toBe(account);
    const a = await subjectFor(pairwise("https://a.example/cb"), account, salt);
    expect(a).not.toBe(account);
    expect(await subjectFor(pairwise("https://a.example/other"), account, salt)).toBe(a);
    expect(await subjectFor(pairwise("https://b.example/cb"), account, salt)).not.toBe(a);
    expect(await subjectFor(pairwise("https://a.example/cb"), account, { pairwiseSalt: "t".repeat(32) })).not.toBe(a);
    // A client's own id (client_credentials) is not an account and passes through.
    expect(await subjectFor(pairwise("https://a.example/cb"), "client-123", salt)).toBe("client-123");
    await expect(subjectFor(pairwise("https://a.example/cb"), account, { pairwiseSalt: undefined })).rejects.toThrow();
  });
});

describe("wantsRefreshToken (OIDC Core §11)", () => {
  it("needs the refresh_token grant, and offline_access for OpenID requests", () => {
    expect(wantsRefreshToken(["authorization_code", "refresh_token"], "openid offline_access")).toBe(true);
    expect(wantsRefreshToken(["authorization_code", "refresh_token"], "openid")).toBe(false);
    expect(wantsRefreshToken(["authorization_code", "refresh_token"], "api:read")).toBe(true);
    expect(wantsRefreshToken(["authorization_code"], "openid offline_access")).toBe(false);
  });
});
