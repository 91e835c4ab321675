import { exportJWK, generateKeyPair } from "jose";
import * as oidc from "openid-client";
import { beforeAll, describe, expect, it } from "vitest";
import { discover, navigate, newBrowser, REDIRECT_URI, register } from "./support";

/**
 * PAR (RFC 9126) and JAR (RFC 9101) as openid-client v6 does them against the OP under
 * `wrangler dev`: buildAuthorizationUrlWithPAR, buildAuthorizationUrlWithJAR, and both together
 * (a signed request object pushed to the PAR endpoint), each through to the code exchange.
 */
let keys: CryptoKeyPair;
let jwk: Record<string, unknown>;

beforeAll(async () => {
  keys = await generateKeyPair("ES256", { extractable: true });
  jwk = { ...(await exportJWK(keys.publicKey)), kid: "e2e-jar", use: "sig", alg: "ES256" };
});

async function params() {
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
  return {
    parameters: {
      redirect_uri: REDIRECT_URI,
      scope: "openid email",
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: "S256",
    },
    checks: { expectedState: state, expectedNonce: nonce, pkceCodeVerifier, idTokenExpected: true },
  };
}

async function finish(config: oidc.Configuration, url: URL, checks: Awaited<ReturnType<typeof params>>["checks"]) {
  const { callback } = await navigate(newBrowser(), url);
  const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
  expect(tokens.access_token).toBeTruthy();
  expect(tokens.claims()?.nonce).toBe(checks.expectedNonce);
  return tokens;
}

describe("PAR and JAR with openid-client", () => {
  it("a client that must push: buildAuthorizationUrlWithPAR", async () => {
    const client = await register({ token_endpoint_auth_method: "client_secret_basic", require_pushed_authorization_requests: true });
    const config = await discover(client);
    expect(config.serverMetadata().pushed_authorization_request_endpoint).toBeTruthy();
    const { parameters, checks } = await params();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, parameters);
    expect(url.searchParams.get("request_uri")).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    await finish(config, url, checks);
  });

  it("a client that must sign: buildAuthorizationUrlWithJAR", async () => {
    const client = await register({
      token_endpoint_auth_method: "client_secret_basic",
      jwks: { keys: [jwk] },
      require_signed_request_object: true,
      request_object_signing_alg: "ES256",
    });
    const config = await discover(client);
    const { parameters, checks } = await params();
    const url = await oidc.buildAuthorizationUrlWithJAR(config, parameters, { key: keys.privateKey, kid: "e2e-jar" } as oidc.PrivateKey);
    expect(url.searchParams.get("request")).toBeTruthy();
    await finish(config, url, checks);
  });

  it("both: a signed request object pushed to the PAR endpoint", async () => {
    const client = await register({ token_endpoint_auth_method: "client_secret_basic", jwks: { keys: [jwk] }, par_mode: "required", jar_mode: "required" });
    const config = await discover(client);
    const { parameters, checks } = await params();
    const jar = await oidc.buildAuthorizationUrlWithJAR(config, parameters, { key: keys.privateKey, kid: "e2e-jar" } as oidc.PrivateKey);
    const url = await oidc.buildAuthorizationUrlWithPAR(config, jar.searchParams);
    await finish(config, url, checks);
  });
});
