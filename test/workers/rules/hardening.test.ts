import { ConfigSchema } from "@op/core";
import { clientMode, conflictingClientMode, effectiveMode, enforceHardening, isEnabled, isRequired } from "@op/rules";
import { describe, expect, it } from "vitest";

const config = (par = "optional", jar = "optional", jarm = "optional") =>
  ConfigSchema.parse({ ISSUER: "https://op.example.com", PAR_MODE: par, JAR_MODE: jar, JARM_MODE: jarm });
const errorOf = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (err) {
    return (err as { error?: string }).error;
  }
};

describe("clientMode, effectiveMode, isEnabled, isRequired (RFC 9126 §6, RFC 9101 §10.5, JARM §3)", () => {
  it("the server's disabled or required wins; under optional the client's wish applies", () => {
    expect(clientMode({ require_pushed_authorization_requests: true }, "par")).toBe("required");
    expect(clientMode({ require_signed_request_object: true, jar_mode: "optional" }, "jar")).toBe("required");
    expect(clientMode({ jarm_mode: "disabled" }, "jarm")).toBe("disabled");
    expect(effectiveMode(config(), { par_mode: "required" }, "par")).toBe("required");
    expect(effectiveMode(config("disabled"), { par_mode: "required" }, "par")).toBe("disabled");
    expect(effectiveMode(config("required"), { par_mode: "disabled" }, "par")).toBe("required");
    expect(isEnabled(config(), { jar_mode: "disabled" }, "jar")).toBe(false);
    expect(isRequired(config(), { jarm_mode: "required" }, "jarm")).toBe(true);
  });
});

describe("conflictingClientMode (RFC 7591 §2)", () => {
  it("names a feature the client requires and the server has switched off", () => {
    expect(conflictingClientMode(config("disabled"), { require_pushed_authorization_requests: true })).toBe("par");
    expect(conflictingClientMode(config(), { require_pushed_authorization_requests: true })).toBeUndefined();
  });
});

describe("enforceHardening (RFC 9126 §6, RFC 9101 §10.5)", () => {
  it("holds every arrival to the same modes", () => {
    expect(errorOf(() => enforceHardening(config("disabled"), {}, { pushed: true, requestObject: "absent" }))).toBe("invalid_request");
    expect(errorOf(() => enforceHardening(config("required"), {}, { pushed: false, requestObject: "absent" }))).toBe("invalid_request");
    expect(errorOf(() => enforceHardening(config("optional", "disabled"), {}, { pushed: false, requestObject: "request" }))).toBe("request_not_supported");
    expect(errorOf(() => enforceHardening(config("optional", "disabled"), {}, { pushed: false, requestObject: "request_uri" }))).toBe(
      "request_uri_not_supported",
    );
    expect(errorOf(() => enforceHardening(config("optional", "required"), {}, { pushed: true, requestObject: "absent" }))).toBe("invalid_request");
    expect(enforceHardening(config("optional", "required"), {}, { pushed: true, requestObject: "request" })).toEqual({ signatureRequired: true });
    expect(enforceHardening(config(), {}, { pushed: false, requestObject: "request" })).toEqual({ signatureRequired: false });
  });
});
