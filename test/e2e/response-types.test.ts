import * as oidc from "openid-client";
import { describe, expect, it } from "vitest";
import { discover, issuer, navigate, newBrowser, REDIRECT_URI, register } from "./support";

/**
 * Implicit and hybrid responses as openid-client 6 validates them: ID token signature, nonce,
 * state, iss, and for the hybrid flow c_hash and s_hash (detached-signature checks).
 */
describe("implicit and hybrid flows", () => {
  it("id_token (implicit): openid-client accepts the fragment response", async () => {
    const client = await register({ response_types: ["id_token"], grant_types: ["implicit"] });
    const config = await discover(client, { response_types: ["id_token"] });
    oidc.useIdTokenResponseType(config);
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: "openid email", nonce, state });
    const { callback } = await navigate(newBrowser(), url);
    expect(callback.hash).toContain("id_token=");
    const claims = await oidc.implicitAuthentication(config, callback, nonce, { expectedState: state });
    expect(claims).toMatchObject({ iss: issuer, aud: client.client_id, nonce, email: "alice@example.com" });
  });

  it("code id_token (hybrid): c_hash and s_hash check out, and the code redeems", async () => {
    const client = await register({ response_types: ["code id_token"], grant_types: ["authorization_code", "implicit"] });
    const config = await discover(client, { response_types: ["code id_token"] });
    oidc.useCodeIdTokenResponseType(config);
    oidc.enableDetachedSignatureResponseChecks(config);
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      nonce,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
      code_challenge_method: "S256",
    });
    const { callback } = await navigate(newBrowser(), url);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { expectedNonce: nonce, expectedState: state, pkceCodeVerifier });
    expect(tokens.claims()).toMatchObject({ iss: issuer, nonce });
    expect((await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub)).sub).toBe(tokens.claims()!.sub);
  });
});
