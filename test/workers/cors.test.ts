import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import opManagement from "../../packages/op-management/src/index";
import { op } from "./helpers";

/** A browser's preflight, as an MCP client in a page sends it (issue #18 point 5). */
const preflight = (path: string, method: string, headers = "authorization, content-type, mcp-protocol-version, dpop") =>
  op(path, {
    method: "OPTIONS",
    headers: { origin: "https://inspector.example", "access-control-request-method": method, "access-control-request-headers": headers },
  });

describe("CORS for browser-based clients (issue #18 point 5)", () => {
  it("answers preflights of discovery, registration, token, revocation and userinfo with the MCP client's headers, never with credentials", async () => {
    for (const [path, method] of [
      ["/.well-known/oauth-authorization-server", "GET"],
      ["/.well-known/openid-configuration", "GET"],
      ["/jwks", "GET"],
      ["/register", "POST"],
      ["/token", "POST"],
      ["/revoke", "POST"],
      ["/userinfo", "GET"],
    ] as const) {
      const res = await preflight(path, method);
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-origin"), path).toBe("*");
      expect(res.headers.get("access-control-allow-methods"), path).toContain(method);
      const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase();
      for (const h of ["authorization", "content-type", "mcp-protocol-version", "dpop"]) expect(allowed, `${path} ${h}`).toContain(h);
      expect(res.headers.get("access-control-allow-credentials"), path).toBeNull();
    }
  });

  it("lets a page read a registration response, but the authorization endpoint stays a navigation", async () => {
    const res = await op("/register", {
      method: "POST",
      headers: { origin: "https://inspector.example", "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://inspector.example/cb"], token_endpoint_auth_method: "none" }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toContain("Location");
    const authorize = await preflight("/authorize", "GET");
    expect(authorize.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("offers no CORS on registration where registration is disabled", async () => {
    const production = { ...env, ENVIRONMENT: "production", INITIAL_ACCESS_TOKEN: undefined } as never;
    const res = await opManagement.fetch(
      new Request("http://localhost:8787/register", { method: "OPTIONS", headers: { origin: "https://x.example", "access-control-request-method": "POST" } }),
      production,
    );
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
  });
});
