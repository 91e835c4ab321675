import { narrowResources, parseResources, resourceNotGranted } from "@op/rules";
import { describe, expect, it } from "vitest";

const code = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (err) {
    return (err as { error?: string }).error;
  }
};

describe("parseResources (RFC 8707 §2)", () => {
  it("takes absolute URIs without fragment, as a sorted set", () => {
    expect(parseResources(["https://b.example/", "https://a.example/", "https://b.example/"])).toEqual(["https://a.example/", "https://b.example/"]);
    expect(code(() => parseResources(["relative/path"]))).toBe("invalid_target");
    expect(code(() => parseResources(["https://a.example/#frag"]))).toBe("invalid_target");
    expect(code(() => parseResources(Array.from({ length: 11 }, (_, i) => `https://r${i}.example/`)))).toBe("invalid_target");
  });
});

describe("resourceNotGranted, narrowResources (RFC 8707 §2.2)", () => {
  it("lets a token request narrow the granted resources, never add one", () => {
    expect(resourceNotGranted(["https://a/", "https://b/"], ["https://a/"])).toBeUndefined();
    expect(resourceNotGranted(["https://a/"], ["https://a/", "https://c/"])).toBe("https://c/");
    expect(narrowResources(["https://a/", "https://b/"], [])).toEqual(["https://a/", "https://b/"]);
    expect(narrowResources(["https://a/", "https://b/"], ["https://b/"])).toEqual(["https://b/"]);
    expect(code(() => narrowResources(["https://a/"], ["https://c/"]))).toBe("invalid_target");
  });
});
