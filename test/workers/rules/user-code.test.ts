import { formatUserCode, newUserCode, normalizeUserCode, parseDeviceCode, USER_CODE_ALPHABET } from "@op/rules";
import { describe, expect, it } from "vitest";

describe("newUserCode, normalizeUserCode, formatUserCode (RFC 8628 §6.1)", () => {
  it("draws 8 consonants, shows them as XXXX-XXXX and reads back what a person types", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const code = newUserCode();
      expect(code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{8}$/);
      seen.add(code);
    }
    expect(seen.size).toBe(200);
    expect([...USER_CODE_ALPHABET].some((c) => "AEIOU01".includes(c))).toBe(false);
    expect(formatUserCode("BCDFGHJK")).toBe("BCDF-GHJK");
    expect(normalizeUserCode(" bcdf-ghjk ")).toBe("BCDFGHJK");
    expect(normalizeUserCode("BCDF GHJK")).toBe("BCDFGHJK");
    expect(normalizeUserCode("ABCD-EFGH")).toBeNull(); // vowels are never in a code
    expect(normalizeUserCode("BCDF")).toBeNull();
  });
});

describe("parseDeviceCode (RFC 8628 §3.2)", () => {
  it("splits <userCode>.<secret> and nothing else", () => {
    const secret = "a".repeat(43);
    expect(parseDeviceCode(`BCDFGHJK.${secret}`)).toEqual({ userCode: "BCDFGHJK", secret });
    expect(parseDeviceCode(`BCDFGHJK.${secret}x`)).toBeNull();
    expect(parseDeviceCode(`bcdfghjk.${secret}`)).toBeNull();
    expect(parseDeviceCode("garbage")).toBeNull();
  });
});
