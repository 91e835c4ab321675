import {
  checkNonce,
  checkResponseType,
  effectiveMaxAge,
  parseAuthorizationParams,
  parseClaimsParameter,
  parseDisplay,
  parsePrompt,
  rejectRegistrationParameter,
  spaceSeparated,
} from "@op/rules";
import { describe, expect, it } from "vitest";

const errorOf = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (err) {
    return (err as { error?: string }).error;
  }
};

describe("parseAuthorizationParams, spaceSeparated, checkResponseType (RFC 6749 §3.1.1, Multiple Response Types §2, OIDC DCR §2)", () => {
  it("types the parameters, splits lists, normalizes word order and requires the client's registration", () => {
    expect(parseAuthorizationParams({ client_id: "c", max_age: "60" })).toMatchObject({ client_id: "c", max_age: 60 });
    expect(errorOf(() => parseAuthorizationParams({ client_id: "c", max_age: "-1" }))).toBe("invalid_request");
    expect(errorOf(() => parseAuthorizationParams({ client_id: "c", state: "x".repeat(2001) }))).toBe("invalid_request");
    expect(spaceSeparated(" a  b ")).toEqual(["a", "b"]);
    expect(spaceSeparated(undefined)).toBeUndefined();
    const client = { response_types: ["code id_token"] } as never;
    expect(checkResponseType(client, "id_token code")).toBe("code id_token");
    expect(errorOf(() => checkResponseType(client, undefined))).toBe("invalid_request");
    expect(errorOf(() => checkResponseType(client, "token"))).toBe("unsupported_response_type");
    expect(errorOf(() => checkResponseType(client, "code"))).toBe("unauthorized_client");
  });
});

describe("checkNonce (OIDC Core §3.2.2.1)", () => {
  it("is required when an ID token comes from the authorization endpoint", () => {
    expect(errorOf(() => checkNonce(undefined, "code id_token"))).toBe("invalid_request");
    expect(errorOf(() => checkNonce(undefined, "code"))).toBe("ok");
    expect(errorOf(() => checkNonce("n", "id_token"))).toBe("ok");
  });
});

describe("parsePrompt, parseDisplay, effectiveMaxAge, rejectRegistrationParameter (OIDC Core §3.1.2.1, §6.1)", () => {
  it("checks each parameter's values", () => {
    expect(parsePrompt("login consent login")).toEqual(["login", "consent"]);
    expect(errorOf(() => parsePrompt("none login"))).toBe("invalid_request");
    expect(errorOf(() => parsePrompt("bogus"))).toBe("invalid_request");
    expect(parseDisplay("popup")).toBe("popup");
    expect(errorOf(() => parseDisplay("tv"))).toBe("invalid_request");
    expect(effectiveMaxAge({ default_max_age: 60 }, undefined)).toBe(60);
    expect(effectiveMaxAge({ default_max_age: 60 }, 0)).toBe(0);
    expect(errorOf(() => rejectRegistrationParameter({ registration: "{}" }))).toBe("registration_not_supported");
  });
});

describe("parseClaimsParameter (OIDC Core §5.5)", () => {
  it("takes a JSON object of userinfo and id_token members", () => {
    expect(parseClaimsParameter('{"id_token":{"email":{"essential":true}}}')).toEqual({ id_token: { email: { essential: true } } });
    expect(errorOf(() => parseClaimsParameter("{not json"))).toBe("invalid_request");
    expect(errorOf(() => parseClaimsParameter('{"userinfo":"x"}'))).toBe("invalid_request");
  });
});
