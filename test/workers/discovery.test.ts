import { exports } from "cloudflare:workers";
import { KEY_ACTIVATION_DELAY_MS } from "@op/storage";
import { describe, expect, it } from "vitest";
import { viaPublicCache } from "../../packages/op-auth/src/public-cache";

const ISSUER = "http://localhost:8787";
const get = (path: string) => exports.default.fetch(`${ISSUER}${path}`);

describe("discovery", () => {
  it("serves OIDC and RFC 8414 metadata with the same issuer", async () => {
    for (const path of ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      const m = await res.json<Record<string, unknown>>();
      expect(m.issuer).toBe(ISSUER);
      expect(m.token_endpoint).toBe(`${ISSUER}/token`);
      expect(m.response_types_supported).toEqual(["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token", "none"]);
      expect(m.authorization_response_iss_parameter_supported).toBe(true);
      expect(m.code_challenge_methods_supported).toEqual(["S256"]);
      // JAR and PAR are optional by default (test/workers/request-object.test.ts, par.test.ts).
      expect(m.request_uri_parameter_supported).toBe(true);
      expect(m.require_request_uri_registration).toBe(true);
      expect(m.pushed_authorization_request_endpoint).toBe(`${ISSUER}/par`);
    }
  });
});

describe("caching of the public documents", () => {
  it("discovery and JWKS are public and cacheable; the JWKS for at most half the keys' activation delay", async () => {
    for (const path of ["/.well-known/openid-configuration", "/jwks", "/jwks"]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      expect(res.headers.get("x-request-id")).toBeTruthy();
      const maxAge = Number(/^public, max-age=(\d+)$/.exec(res.headers.get("cache-control") ?? "")?.[1]);
      expect(maxAge).toBeLessThanOrEqual(path === "/jwks" ? KEY_ACTIVATION_DELAY_MS / 2000 : 300);
      expect(maxAge).toBeGreaterThan(0);
      await res.arrayBuffer();
    }
  });

  it("the front Worker's copy counts the max-age down and asks again once it is spent", async () => {
    let calls = 0;
    const origin = async () => {
      calls++;
      return new Response(`{"n":${calls}}`, {
        headers: { "Cache-Control": "public, max-age=30", "Content-Type": "application/json", "x-request-id": "from-origin-123" },
      });
    };
    const t0 = Date.now();
    const path = `${ISSUER}/test-public-cache-${crypto.randomUUID()}`;
    const first = await viaPublicCache(new Request(path), origin, t0);
    expect(first.headers.get("cache-control")).toBe("public, max-age=30");
    expect(await first.json()).toEqual({ n: 1 });
    const later = await viaPublicCache(new Request(path), origin, t0 + 10_500);
    expect(later.headers.get("cache-control")).toBe("public, max-age=19");
    expect(later.headers.get("x-request-id")).toBeNull(); // each response gets its own
    expect(await later.json()).toEqual({ n: 1 });
    expect(await (await viaPublicCache(new Request(path), origin, t0 + 30_000)).json()).toEqual({ n: 2 });
    // Not kept: other methods, queries, and responses that are not public.
    await viaPublicCache(new Request(path, { method: "POST" }), origin, t0 + 30_001);
    await viaPublicCache(new Request(`${path}?x=1`), origin, t0 + 30_001);
    expect(calls).toBe(4);
    const privatePath = `${path}-private`;
    const noStore = async () => {
      calls++;
      return new Response("{}", { headers: { "Cache-Control": "no-store" } });
    };
    await viaPublicCache(new Request(privatePath), noStore, t0);
    await viaPublicCache(new Request(privatePath), noStore, t0);
    expect(calls).toBe(6);
  });
});
