import { ConfigSchema } from "@op/core";
import {
  checkAlg,
  checkIssuerAndAudience,
  checkLimits,
  checkSize,
  checkTimes,
  decodeJson,
  headerAlg,
  headerKid,
  jtiRememberedUntil,
  jtiToClaim,
  mergeRequiredOutsideParameters,
  parseJson,
  toAuthorizationParams,
} from "@op/rules";
import { describe, expect, it } from "vitest";

const config = ConfigSchema.parse({ ISSUER: "https://op.example.com", REQUEST_OBJECT_MAX_BYTES: "2048" });
const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const errorOf = (f: () => unknown) => {
  try {
    f();
    return "ok";
  } catch (err) {
    return (err as { error?: string }).error;
  }
};
const now = 1_800_000_000;

describe("checkSize, checkLimits (RFC 9101 §10)", () => {
  it("bounds the object and its claims before anything reads them", () => {
    expect(errorOf(() => checkSize("x".repeat(2049), config))).toBe("invalid_request_object");
    expect(errorOf(() => checkSize("x".repeat(2048), config))).toBe("ok");
    expect(errorOf(() => checkLimits(Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`c${i}`, 1]))))).toBe("invalid_request_object");
    expect(errorOf(() => checkLimits({ state: "x".repeat(8001) }))).toBe("invalid_request_object");
  });
});

describe("headerAlg, headerKid, decodeJson, parseJson (RFC 7515 §4.1.4, §7.1; RFC 7519 §7.2)", () => {
  it("reads a compact JWS header and refuses what is not one", () => {
    const jws = `${b64({ alg: "ES256", kid: "k1" })}.${b64({})}.sig`;
    expect(headerAlg(jws)).toBe("ES256");
    expect(headerKid(jws)).toBe("k1");
    expect(errorOf(() => headerAlg("a.b"))).toBe("invalid_request_object");
    expect(errorOf(() => headerAlg(`${b64({ typ: "JWT" })}.e30.x`))).toBe("invalid_request_object");
    expect(errorOf(() => decodeJson("!!!", "header"))).toBe("invalid_request_object");
    expect(errorOf(() => parseJson("[1]", "payload"))).toBe("invalid_request_object");
    expect(parseJson('{"a":1}', "payload")).toEqual({ a: 1 });
  });
});

describe("checkAlg (RFC 9101 §6.1, OIDC DCR §2)", () => {
  it("allows the listed algorithms, none only when no signature is required, and the client's registered one only", () => {
    expect(errorOf(() => checkAlg({}, "ES256", true))).toBe("ok");
    expect(errorOf(() => checkAlg({}, "none", true))).toBe("invalid_request_object");
    expect(errorOf(() => checkAlg({}, "none", false))).toBe("ok");
    expect(errorOf(() => checkAlg({}, "HS256", false))).toBe("invalid_request_object");
    expect(errorOf(() => checkAlg({ request_object_signing_alg: "PS256" }, "ES256", false))).toBe("invalid_request_object");
  });
});

describe("checkTimes (RFC 7519 §4.1.4-6)", () => {
  it("refuses expired, not-yet-valid, future-issued and too long-lived objects, with the clock skew", () => {
    expect(errorOf(() => checkTimes({ exp: now + 60, iat: now }, config, now))).toBe("ok");
    expect(errorOf(() => checkTimes({ exp: now - config.clockSkew - 1 }, config, now))).toBe("invalid_request_object");
    expect(errorOf(() => checkTimes({ nbf: now + config.clockSkew + 1 }, config, now))).toBe("invalid_request_object");
    expect(errorOf(() => checkTimes({ iat: now + config.clockSkew + 1 }, config, now))).toBe("invalid_request_object");
    expect(errorOf(() => checkTimes({ exp: now + config.requestObject.maxLifetime + config.clockSkew + 1 }, config, now))).toBe("invalid_request_object");
    expect(errorOf(() => checkTimes({ exp: "soon" }, config, now))).toBe("invalid_request_object");
  });
});

describe("checkIssuerAndAudience (RFC 9101 §4, §6.3)", () => {
  it("a signed object names the client as iss and the issuer as aud; an unsigned one where it names them", () => {
    const client = { client_id: "c1" };
    expect(errorOf(() => checkIssuerAndAudience({ iss: "c1", aud: "https://op.example.com" }, client, "https://op.example.com", true))).toBe("ok");
    expect(errorOf(() => checkIssuerAndAudience({ iss: "c1", aud: ["x", "https://op.example.com"] }, client, "https://op.example.com", true))).toBe("ok");
    expect(errorOf(() => checkIssuerAndAudience({ aud: "https://op.example.com" }, client, "https://op.example.com", true))).toBe("invalid_request_object");
    expect(errorOf(() => checkIssuerAndAudience({ iss: "c1", aud: "https://other" }, client, "https://op.example.com", true))).toBe("invalid_request_object");
    expect(errorOf(() => checkIssuerAndAudience({}, client, "https://op.example.com", false))).toBe("ok");
    expect(errorOf(() => checkIssuerAndAudience({ iss: "c2" }, client, "https://op.example.com", false))).toBe("invalid_request_object");
  });
});

describe("jtiToClaim, jtiRememberedUntil (RFC 7519 §4.1.7)", () => {
  it("claims a signed object's jti until it expires; an unsigned one's is only checked", () => {
    expect(jtiToClaim({ jti: "j1" }, config, true)).toBe("j1");
    expect(jtiToClaim({ jti: "j1" }, config, false)).toBeUndefined();
    expect(errorOf(() => jtiToClaim({ jti: 5 }, config, true))).toBe("invalid_request_object");
    expect(jtiRememberedUntil({ exp: now + 60 }, config, now)).toBe((now + 60 + config.clockSkew) * 1000);
    expect(jtiRememberedUntil({}, config, now)).toBe((now + config.requestObject.maxLifetime + config.clockSkew) * 1000);
  });
});

describe("toAuthorizationParams (RFC 9101 §4-5, RFC 8707)", () => {
  it("turns claims into the endpoint's parameters and refuses nesting and another client", () => {
    expect(toAuthorizationParams({ iss: "c1", scope: "openid", max_age: 60, claims: { id_token: {} }, resource: ["https://a/"] }, { client_id: "c1" })).toEqual(
      {
        params: { scope: "openid", max_age: "60", claims: '{"id_token":{}}' },
        resources: ["https://a/"],
      },
    );
    expect(errorOf(() => toAuthorizationParams({ request_uri: "x" }, { client_id: "c1" }))).toBe("invalid_request_object");
    expect(errorOf(() => toAuthorizationParams({ client_id: "c2" }, { client_id: "c1" }))).toBe("invalid_request_object");
    expect(errorOf(() => toAuthorizationParams({ state: { a: 1 } }, { client_id: "c1" }))).toBe("invalid_request_object");
  });
});

describe("mergeRequiredOutsideParameters (RFC 9101 §5, OIDC Core §6.1)", () => {
  it("takes the object's parameters; response_type and scope from outside fill in or must agree", () => {
    expect(mergeRequiredOutsideParameters({ client_id: "c1", response_type: "code", scope: "openid" }, { scope: "openid email", state: "s" })).toEqual({
      client_id: "c1",
      response_type: "code",
      scope: "openid email",
      state: "s",
    });
    expect(errorOf(() => mergeRequiredOutsideParameters({ client_id: "c1", response_type: "code" }, { response_type: "id_token" }))).toBe(
      "invalid_request_object",
    );
    expect(errorOf(() => mergeRequiredOutsideParameters({ client_id: "c1", scope: "openid profile" }, { scope: "openid" }))).toBe("invalid_request_object");
  });
});
