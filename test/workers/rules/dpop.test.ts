import { DEFAULT_DPOP_ALGS } from "@op/core";
import {
  acceptedNonceSteps,
  athRefusal,
  dpopAlgRefusal,
  dpopClaimsRefusal,
  dpopIatRefusal,
  dpopJktRefusal,
  dpopJwkRefusal,
  dpopReplayExpiry,
  dpopRequiredRefusal,
  dpopTokenType,
  htuMatches,
  isJwkThumbprint,
  nonceRequired,
  nonceStep,
  normalizeHtu,
  pushedDpopJkt,
  refreshBindingRefusal,
  refreshTokenJkt,
  sameDpopKey,
} from "@op/rules";
import { describe, expect, it } from "vitest";

const JKT = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"; // RFC 7638 §3.1's example thumbprint
const OTHER = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

describe("dpopAlgRefusal (RFC 9449 §4.3)", () => {
  it("refuses none, MACs and algorithms off the allow-list", () => {
    for (const alg of DEFAULT_DPOP_ALGS) expect(dpopAlgRefusal(alg, DEFAULT_DPOP_ALGS)).toBeUndefined();
    expect(dpopAlgRefusal("none", DEFAULT_DPOP_ALGS)).toMatch(/none is refused/);
    expect(dpopAlgRefusal(undefined, DEFAULT_DPOP_ALGS)).toMatch(/must be signed/);
    for (const mac of ["HS256", "HS384", "HS512"]) expect(dpopAlgRefusal(mac, [...DEFAULT_DPOP_ALGS, mac])).toMatch(/not an asymmetric/);
    expect(dpopAlgRefusal("RS256", DEFAULT_DPOP_ALGS)).toMatch(/must be one of ES256 PS256 EdDSA/);
    expect(dpopAlgRefusal("RS256", ["RS256"])).toBeUndefined(); // the operator's choice (DPOP_SIGNING_ALGS)
  });
});

describe("dpopJwkRefusal (RFC 9449 §4.3, RFC 7518 §6)", () => {
  it("accepts public EC, RSA and OKP keys only", () => {
    expect(dpopJwkRefusal({ kty: "EC", crv: "P-256", x: "a", y: "b" })).toBeUndefined();
    expect(dpopJwkRefusal({ kty: "RSA", n: "a", e: "AQAB" })).toBeUndefined();
    expect(dpopJwkRefusal({ kty: "OKP", crv: "Ed25519", x: "a" })).toBeUndefined();
    expect(dpopJwkRefusal({ kty: "EC", crv: "P-256", x: "a", y: "b", d: "secret" })).toMatch(/private key/);
    for (const member of ["p", "q", "dp", "dq", "qi", "oth"]) expect(dpopJwkRefusal({ kty: "RSA", n: "a", e: "AQAB", [member]: "x" })).toMatch(/private key/);
    expect(dpopJwkRefusal({ kty: "oct", k: "c2VjcmV0" })).toMatch(/private key/);
    expect(dpopJwkRefusal({ kty: "oct" })).toMatch(/asymmetric/);
    for (const bad of [undefined, null, "jwk", [], 1]) expect(dpopJwkRefusal(bad)).toMatch(/must carry its public key/);
  });
});

describe("normalizeHtu, htuMatches (RFC 9449 §4.3, RFC 3986 §6.2.2-6.2.3)", () => {
  it("ignores query and fragment, normalises case, default port, dot segments and percent-encoding", () => {
    expect(normalizeHtu("HTTPS://OP.Example.com:443/a/./b/../token?x=1#f")).toBe("https://op.example.com/a/token");
    expect(normalizeHtu("https://op.example.com")).toBe("https://op.example.com/");
    expect(normalizeHtu("https://op.example.com/%7euser/%2f")).toBe("https://op.example.com/~user/%2F");
    expect(normalizeHtu("ftp://op.example.com/")).toBeUndefined();
    expect(normalizeHtu("/token")).toBeUndefined();
    expect(htuMatches("https://op.example.com/token", "https://op.example.com/token?grant_type=x")).toBe(true);
    expect(htuMatches("https://op.example.com:8443/token", "https://op.example.com/token")).toBe(false);
    expect(htuMatches("http://op.example.com/token", "https://op.example.com/token")).toBe(false);
    expect(htuMatches("https://op.example.com/token/", "https://op.example.com/token")).toBe(false);
    expect(htuMatches("not a url", "not a url")).toBe(false);
  });
});

describe("dpopIatRefusal, dpopReplayExpiry (RFC 9449 §4.3, §11.1)", () => {
  it("accepts a proof within max age and skew, and keeps its jti until no such proof is accepted", () => {
    const now = 1_700_000_000_000;
    const t = now / 1000;
    expect(dpopIatRefusal(t, now, 60, 5)).toBeUndefined();
    expect(dpopIatRefusal(t - 65, now, 60, 5)).toBeUndefined();
    expect(dpopIatRefusal(t - 66, now, 60, 5)).toMatch(/too old/);
    expect(dpopIatRefusal(t + 5, now, 60, 5)).toBeUndefined();
    expect(dpopIatRefusal(t + 6, now, 60, 5)).toMatch(/future/);
    expect(dpopIatRefusal("1700000000", now, 60, 5)).toMatch(/number/);
    expect(dpopIatRefusal(Number.NaN, now, 60, 5)).toMatch(/number/);
    expect(dpopReplayExpiry(t, 60, 5)).toBe(now + 65_000);
  });
});

describe("dpopClaimsRefusal (RFC 9449 §4.2, §4.3)", () => {
  it("needs a jti, the request's method and URL", () => {
    const request = { method: "POST", url: "https://op.example.com/token" };
    const ok = { jti: "j", htm: "POST", htu: "https://op.example.com/token", iat: 1 };
    expect(dpopClaimsRefusal(ok, request)).toBeUndefined();
    expect(dpopClaimsRefusal({ ...ok, jti: "" }, request)).toMatch(/jti/);
    expect(dpopClaimsRefusal({ ...ok, jti: 7 }, request)).toMatch(/jti/);
    expect(dpopClaimsRefusal({ ...ok, jti: "x".repeat(513) }, request)).toMatch(/jti/);
    expect(dpopClaimsRefusal({ ...ok, htm: "post" }, request)).toMatch(/htm/); // methods are case-sensitive (RFC 9110 §9.1)
    expect(dpopClaimsRefusal({ ...ok, htu: "https://op.example.com/userinfo" }, request)).toMatch(/htu/);
    expect(dpopClaimsRefusal({ ...ok, htu: ["https://op.example.com/token"] }, request)).toMatch(/htu/);
  });
});

describe("athRefusal (RFC 9449 §4.3, §7.1)", () => {
  it("needs ath equal to the token's hash", () => {
    expect(athRefusal("abc", "abc")).toBeUndefined();
    expect(athRefusal(undefined, "abc")).toMatch(/must carry ath/);
    expect(athRefusal("abd", "abc")).toMatch(/does not match/);
    expect(athRefusal("ab", "abc")).toMatch(/does not match/);
  });
});

describe("isJwkThumbprint, sameDpopKey, dpopJktRefusal, pushedDpopJkt (RFC 9449 §10, §10.1)", () => {
  it("binds a code to the key dpop_jkt names; at PAR the proof and the parameter must agree", () => {
    expect(isJwkThumbprint(JKT)).toBe(true);
    expect(isJwkThumbprint(`${JKT}=`)).toBe(false);
    expect(isJwkThumbprint(JKT.slice(1))).toBe(false);
    expect(sameDpopKey(JKT, JKT)).toBe(true);
    expect(sameDpopKey(JKT, OTHER)).toBe(false);
    expect(sameDpopKey(JKT, undefined)).toBe(false);
    expect(dpopJktRefusal(undefined, undefined)).toBeUndefined();
    expect(dpopJktRefusal(undefined, JKT)).toBeUndefined();
    expect(dpopJktRefusal(JKT, JKT)).toBeUndefined();
    expect(dpopJktRefusal(JKT, undefined)).toMatch(/proof is required/);
    expect(dpopJktRefusal(JKT, OTHER)).toMatch(/not the one/);
    expect(pushedDpopJkt(undefined, JKT)).toEqual({ jkt: JKT });
    expect(pushedDpopJkt(JKT, undefined)).toEqual({ jkt: JKT });
    expect(pushedDpopJkt(JKT, JKT)).toEqual({ jkt: JKT });
    expect(pushedDpopJkt(undefined, undefined)).toEqual({ jkt: undefined });
    expect(pushedDpopJkt(JKT, OTHER).refusal).toMatch(/does not match/);
  });
});

describe("refreshTokenJkt, refreshBindingRefusal (RFC 9449 §5)", () => {
  it("binds a public client's refresh tokens only, and needs the same key to use them", () => {
    expect(refreshTokenJkt({ token_endpoint_auth_method: "none" }, JKT)).toBe(JKT);
    expect(refreshTokenJkt({ token_endpoint_auth_method: "private_key_jwt" }, JKT)).toBeUndefined();
    expect(refreshTokenJkt({ token_endpoint_auth_method: "none" }, undefined)).toBeUndefined();
    expect(refreshBindingRefusal(undefined, undefined)).toBeUndefined();
    expect(refreshBindingRefusal(undefined, JKT)).toBeUndefined();
    expect(refreshBindingRefusal(JKT, JKT)).toBeUndefined();
    expect(refreshBindingRefusal(JKT, undefined)).toMatch(/proof is required/);
    expect(refreshBindingRefusal(JKT, OTHER)).toMatch(/another DPoP key/);
  });
});

describe("dpopRequiredRefusal, dpopTokenType (RFC 9449 §5.2, §7.1)", () => {
  it("refuses a dpop_bound_access_tokens client's request without a proof; a server-wide switch also accepts mTLS binding", () => {
    expect(dpopRequiredRefusal({}, { present: false })).toBeUndefined();
    expect(dpopRequiredRefusal({ dpop_bound_access_tokens: true }, { present: true })).toBeUndefined();
    expect(dpopRequiredRefusal({ dpop_bound_access_tokens: true }, { present: false })).toMatch(/dpop_bound_access_tokens/);
    expect(dpopRequiredRefusal({ dpop_bound_access_tokens: true }, { present: false, certificateBound: true })).toMatch(/dpop_bound_access_tokens/);
    expect(dpopRequiredRefusal({}, { present: false }, true)).toMatch(/sender-constrained/);
    expect(dpopRequiredRefusal({}, { present: false, certificateBound: true }, true)).toBeUndefined();
    expect(dpopTokenType(JKT)).toBe("DPoP");
    expect(dpopTokenType(undefined)).toBe("Bearer");
  });
});

describe("nonceStep, acceptedNonceSteps, nonceRequired (RFC 9449 §8, §9)", () => {
  it("accepts the current and the previous step, where the policy asks for nonces", () => {
    expect(nonceStep(0, 300)).toBe(0);
    expect(nonceStep(299_999, 300)).toBe(0);
    expect(nonceStep(300_000, 300)).toBe(1);
    expect(acceptedNonceSteps(600_000, 300)).toEqual([2, 1]);
    expect(nonceRequired("off", "token")).toBe(false);
    expect(nonceRequired("off", "resource")).toBe(false);
    expect(nonceRequired("token", "token")).toBe(true);
    expect(nonceRequired("token", "par")).toBe(true);
    expect(nonceRequired("token", "resource")).toBe(false);
    expect(nonceRequired("all", "resource")).toBe(true);
  });
});
