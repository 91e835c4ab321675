import { AuthorizationCodeRecordSchema } from "@op/core";
import { isRegisteredRedirectUri, loopbackMatches, redirectUriRefusal, resolveRedirectUri } from "@op/rules";
import { describe, expect, it } from "vitest";

const native = (redirect_uris: string[]) => ({ redirect_uris, application_type: "native" as const });
const web = (redirect_uris: string[]) => ({ redirect_uris, application_type: "web" as const });

describe("loopbackMatches (RFC 8252 §7.3)", () => {
  it("matches a loopback IP redirect URI on any port, and on nothing else", () => {
    expect(loopbackMatches("http://127.0.0.1:1234/cb", "http://127.0.0.1:5555/cb")).toBe(true);
    expect(loopbackMatches("http://127.0.0.1/cb", "http://127.0.0.1:5555/cb")).toBe(true);
    expect(loopbackMatches("http://[::1]:80/cb?x=1", "http://[::1]:49152/cb?x=1")).toBe(true);
    for (const requested of [
      "http://127.0.0.1:5555/other", // path
      "http://127.0.0.1:5555/cb?y=2", // query
      "http://127.0.0.2:5555/cb", // host
      "http://[::1]:5555/cb", // host family
      "https://127.0.0.1:5555/cb", // scheme
      "http://127.0.0.1:99999/cb", // not a port
      "http://127.0.0.1:5555/cb#f",
      "http://user@127.0.0.1:5555/cb",
    ]) {
      expect(loopbackMatches("http://127.0.0.1:1234/cb", requested), requested).toBe(false);
    }
    // RFC 8252 §8.3: localhost is not a loopback IP literal; it is compared exactly.
    expect(loopbackMatches("http://localhost:1234/cb", "http://localhost:5555/cb")).toBe(false);
  });
});

describe("isRegisteredRedirectUri (RFC 9700 §2.1)", () => {
  it("is exact string matching, loopback ports of native clients aside", () => {
    expect(isRegisteredRedirectUri(web(["https://rp.example.com/cb"]), "https://rp.example.com/cb")).toBe(true);
    expect(isRegisteredRedirectUri(web(["https://rp.example.com/cb"]), "https://rp.example.com/cb/")).toBe(false);
    expect(isRegisteredRedirectUri(web(["https://rp.example.com/cb"]), "https://RP.example.com/cb")).toBe(false);
    expect(isRegisteredRedirectUri(native(["http://127.0.0.1:1234/cb"]), "http://127.0.0.1:5555/cb")).toBe(true);
    // A web client's loopback URI (development only) is not relaxed.
    expect(isRegisteredRedirectUri(web(["http://127.0.0.1:1234/cb"]), "http://127.0.0.1:5555/cb")).toBe(false);
  });
});

describe("resolveRedirectUri (RFC 6749 §3.1.2.3)", () => {
  it("may be omitted only with exactly one registered; a mismatch is never redirected", () => {
    expect(resolveRedirectUri(web(["https://a.example/cb"]), undefined)).toBe("https://a.example/cb");
    for (const [client, uri] of [
      [web(["https://a.example/cb", "https://b.example/cb"]), undefined],
      [web(["https://a.example/cb"]), "https://evil.example/cb"],
    ] as const) {
      try {
        resolveRedirectUri(client, uri);
        expect.unreachable();
      } catch (err) {
        expect(err).toMatchObject({ error: "invalid_request", redirectable: false });
      }
    }
    expect(resolveRedirectUri(native(["http://[::1]:80/cb"]), "http://[::1]:7000/cb")).toBe("http://[::1]:7000/cb");
  });
});

describe("redirectUriRefusal (RFC 6749 §4.1.3)", () => {
  it("is required if the authorization request carried it, and then identical; if it was omitted, a given one must be the code's", () => {
    const uri = "https://rp.example.com/cb";
    expect(redirectUriRefusal({ redirectUri: uri, redirectUriSent: true }, uri)).toBeNull();
    expect(redirectUriRefusal({ redirectUri: uri, redirectUriSent: true }, undefined)).toBe("redirect_uri is required: the authorization request included it");
    expect(redirectUriRefusal({ redirectUri: uri, redirectUriSent: true }, `${uri}/`)).toBe("redirect_uri does not match the authorization request");
    expect(redirectUriRefusal({ redirectUri: uri, redirectUriSent: false }, undefined)).toBeNull();
    expect(redirectUriRefusal({ redirectUri: uri, redirectUriSent: false }, uri)).toBeNull();
    expect(redirectUriRefusal({ redirectUri: uri, redirectUriSent: false }, "https://rp.example.com/other")).toBe(
      "redirect_uri does not match the authorization request",
    );
    // Codes stored before the field existed came from requests that carried redirect_uri.
    expect(AuthorizationCodeRecordSchema.shape.redirectUriSent.parse(undefined)).toBe(true);
  });
});
