import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

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
      expect(m.request_uri_parameter_supported).toBe(false);
    }
  });
});
