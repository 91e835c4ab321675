import { ConfigSchema } from "@op/core";
import { enabledTokenAuthMethods, providerMetadata } from "@op/rules";
import { describe, expect, it } from "vitest";

const config = (vars: Record<string, string> = {}) => ConfigSchema.parse({ ISSUER: "https://op.example.com", ...vars });

describe("providerMetadata (OIDC Discovery §3, RFC 8414 §2)", () => {
  it("lists exactly what the configuration enables", () => {
    const m = providerMetadata(config());
    expect(m.issuer).toBe("https://op.example.com");
    expect(m.registration_endpoint).toBeUndefined(); // production without INITIAL_ACCESS_TOKEN: no registration
    expect(m.subject_types_supported).toEqual(["public"]); // no PAIRWISE_SALT
    expect(m.code_challenge_methods_supported).toEqual(["S256"]);
    expect(m.pushed_authorization_request_endpoint).toBe("https://op.example.com/par");
    const strict = providerMetadata(
      config({ PAR_MODE: "required", JARM_MODE: "disabled", PAIRWISE_SALT: "x".repeat(32), INITIAL_ACCESS_TOKEN: "t".repeat(16) }),
    );
    expect(strict.require_pushed_authorization_requests).toBe(true);
    expect(strict.response_modes_supported).toEqual(["query", "fragment", "form_post"]);
    expect(strict.subject_types_supported).toEqual(["public", "pairwise"]);
    expect(strict.registration_endpoint).toBe("https://op.example.com/register");
  });
});

describe("enabledTokenAuthMethods (OIDC Discovery §3)", () => {
  it("offers client_secret_jwt only with an encryption key and the TLS methods only with mTLS on", () => {
    expect(enabledTokenAuthMethods(config())).toEqual(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]);
    expect(enabledTokenAuthMethods(config({ CLIENT_SECRET_ENCRYPTION_KEY: "k".repeat(32), TLS_CLIENT_AUTH: "true" }))).toEqual([
      "client_secret_basic",
      "client_secret_post",
      "client_secret_jwt",
      "private_key_jwt",
      "tls_client_auth",
      "self_signed_tls_client_auth",
      "none",
    ]);
  });
});
