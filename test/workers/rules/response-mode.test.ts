import { defaultResponseMode, jwtResponseMode, responseModeFor, returnsTokens } from "@op/rules";
import { describe, expect, it } from "vitest";

const plain = { jarmServer: "optional", jarmClient: "optional", encrypted: false } as const;

describe("returnsTokens, defaultResponseMode, jwtResponseMode (Multiple Response Types §2.1, JARM §2.3.4)", () => {
  it("is query without tokens and fragment with them; jwt picks the same transport", () => {
    expect(returnsTokens("code")).toBe(false);
    expect(returnsTokens("code id_token")).toBe(true);
    expect(defaultResponseMode("code")).toBe("query");
    expect(defaultResponseMode("none")).toBe("query");
    expect(defaultResponseMode("id_token token")).toBe("fragment");
    expect(jwtResponseMode("code")).toBe("query.jwt");
    expect(jwtResponseMode("code token")).toBe("fragment.jwt");
  });
});

describe("responseModeFor (OAuth 2.0 Response Modes, Multiple Response Types §5, JARM §2.3)", () => {
  it("answers with the requested mode where it is allowed", () => {
    expect(responseModeFor({ ...plain, requested: "form_post", responseType: "code" })).toEqual({ mode: "form_post", refusal: undefined });
    expect(responseModeFor({ ...plain, requested: undefined, responseType: "code id_token" })).toEqual({ mode: "fragment", refusal: undefined });
    expect(responseModeFor({ ...plain, requested: "jwt", responseType: "code" }).mode).toBe("query.jwt");
    expect(responseModeFor({ ...plain, jarmClient: "required", requested: undefined, responseType: "code" })).toEqual({
      mode: "query.jwt",
      refusal: undefined,
    });
    expect(responseModeFor({ ...plain, encrypted: true, requested: "query.jwt", responseType: "code token" })).toEqual({
      mode: "query.jwt",
      refusal: undefined,
    });
  });

  it("refuses what may not carry the response, and still says how an error can go", () => {
    const cases = [
      [{ requested: "query", responseType: "id_token" }, "invalid_request", "fragment"],
      [{ requested: "query.jwt", responseType: "code token" }, "invalid_request", "fragment.jwt"],
      [{ requested: "bogus", responseType: "code" }, "unsupported_response_mode", "query"],
      [{ requested: "jwt", responseType: "code", jarmServer: "disabled", jarmClient: "disabled" }, "unsupported_response_mode", "query"],
      [{ requested: "query.jwt", responseType: "code", jarmClient: "disabled" }, "invalid_request", "query"],
      [{ requested: "form_post", responseType: "code", jarmClient: "required" }, "invalid_request", "form_post.jwt"],
    ] as const;
    for (const [input, error, errorMode] of cases) {
      const { mode, refusal } = responseModeFor({ ...plain, ...input });
      expect(refusal?.error, JSON.stringify(input)).toBe(error);
      expect(mode, JSON.stringify(input)).toBe(errorMode);
    }
  });
});
