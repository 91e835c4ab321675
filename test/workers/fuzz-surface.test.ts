import { OAUTH_ERROR_CODES } from "@op/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { op, TEST_ADMIN_TOKEN } from "./helpers";

/**
 * Every path of the issuer, known and unknown, with any method, headers and body: never a 5xx;
 * JSON endpoints answer RFC-shaped errors, browser endpoints HTML. The endpoint-specific fuzz
 * files go deep; this one goes wide.
 */
const ERRORS = new Set<string>(OAUTH_ERROR_CODES);
const HTML_PATHS = [
  "/authorize",
  "/interaction/AAAAAAAAAAAAAAAAAAAAAA",
  "/interaction/AAAAAAAAAAAAAAAAAAAAAA/login",
  "/interaction/x/consent",
  "/session/end",
  "/session/end/confirm",
  "/session/check",
  "/device",
  "/device/login",
  "/device/consent",
  "/nope",
];
const JSON_PATHS = [
  "/token",
  "/userinfo",
  "/introspect",
  "/revoke",
  "/register",
  "/register/abc",
  "/device_authorization",
  "/admin/keys",
  "/admin/keys/rotate",
  "/admin/clients/abc/secret",
  "/admin/users/abc/sessions",
  `/admin/users/${"0".repeat(64)}/sessions`,
  "/admin/logouts/abc",
  "/.well-known/nope",
];
const PUBLIC_PATHS = ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server", "/jwks"];

const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD");
const contentType = fc.constantFrom(
  "application/x-www-form-urlencoded",
  "application/json",
  "text/plain",
  "multipart/form-data; boundary=x",
  "",
  "application/x-www-form-urlencoded; charset=utf-16",
);
const body = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => String.fromCharCode(...b)),
  fc.constantFrom("a=1&a=2", '{"a":', "csrf=x&decision=approve", "token=x&token=y"),
);
const header = fc.record(
  {
    authorization: fc.oneof(
      fc.constantFrom(`Bearer ${TEST_ADMIN_TOKEN}`, "Bearer x", "Basic !!!", "Basic Og==", "Negotiate x"),
      fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")),
    ),
    cookie: fc.constantFrom("op_session=x", `op_interaction=y; op_session=${"A".repeat(43)}`, "op_logout_csrf=z", "op_device_csrf=w"),
    "x-dev-tls-client-auth": fc.constantFrom("{", "{}", '{"certPresented":"1","certVerified":"SUCCESS","certFingerprintSHA256":"zz"}'),
    "x-request-id": fc.constantFrom("short", "ok-request-id-1", "x".repeat(100)),
    accept: fc.constantFrom("application/token-introspection+jwt", "*/*", "text/html"),
  },
  { requiredKeys: [] },
);
const query = fc.dictionary(
  fc.constantFrom("client_id", "response_type", "redirect_uri", "scope", "user_code", "id_token_hint", "post_logout_redirect_uri", "state", "x"),
  fc.string({ maxLength: 30 }),
  { maxKeys: 5 },
);

describe("fuzzing the whole HTTP surface", () => {
  it("never answers 5xx; errors keep the shape of their endpoint", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...HTML_PATHS, ...JSON_PATHS, ...PUBLIC_PATHS),
        method,
        contentType,
        body,
        header,
        query,
        async (path, m, type, b, h, q) => {
          const hasBody = !["GET", "HEAD"].includes(m);
          const res = await op(`${path}?${new URLSearchParams(q)}`, {
            method: m,
            headers: { ...h, ...(type ? { "content-type": type } : {}) },
            body: hasBody ? b : undefined,
          });
          const text = await res.text();
          expect(res.status, `${m} ${path} → ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
          if (res.status < 400 || m === "HEAD" || m === "OPTIONS") return;
          if (JSON_PATHS.includes(path) || PUBLIC_PATHS.includes(path)) {
            const parsed = JSON.parse(text);
            expect(ERRORS.has(parsed.error), text).toBe(true);
            expect(typeof parsed.error_description).toBe("string");
          } else if (res.headers.get("content-type")?.startsWith("text/html") !== true) {
            // An HTML endpoint may only answer JSON for the size limit or a sibling's API error shape.
            const parsed = JSON.parse(text);
            expect(ERRORS.has(parsed.error), text).toBe(true);
          }
        },
      ),
      { numRuns: 600 },
    );
  });
});
