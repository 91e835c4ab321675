import { exports } from "cloudflare:workers";
import { calculateJwkThumbprint, exportJWK } from "jose";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import { navigate } from "../support/browser";
import { Browser, ISSUER, registerClient } from "./helpers";

/**
 * A strict client library against the OP, in the runtime: oauth4webapi 3 (its fetches go to the
 * front Worker) does code + PKCE + DPoP as a public client, refreshes, and calls userinfo, each
 * time answering the OP's use_dpop_nonce challenge the way the library documents (DPOP_NONCE=all
 * in the test configuration). oauth4webapi checks token_type DPoP itself and refuses anything
 * in the responses that RFC 9449 does not allow.
 */

const options = {
  [oauth.allowInsecureRequests]: true, // the test issuer is http://localhost
  [oauth.customFetch]: (url: string, init: RequestInit) => exports.default.fetch(new Request(url, { ...init, redirect: "manual" })),
} as const;

let as: oauth.AuthorizationServer;
beforeAll(async () => {
  const issuer = new URL(ISSUER);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options));
});

/** RFC 9449 §8.2 as oauth4webapi's documentation has it: retry once when the server asks for its nonce. */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<{ result: T; retried: boolean }> {
  try {
    return { result: await attempt(), retried: false };
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err;
    return { result: await attempt(), retried: true };
  }
}

describe("oauth4webapi 3: code + PKCE + DPoP, refresh, userinfo (RFC 9449)", () => {
  it("gets DPoP-bound tokens, refreshes them with the same key and reads userinfo, answering nonce challenges", async () => {
    expect(as.dpop_signing_alg_values_supported).toContain("ES256");
    const registered = await registerClient({ token_endpoint_auth_method: "none" });
    const client: oauth.Client = { client_id: registered.client_id };
    const redirectUri = registered.redirect_uris[0]!;
    const keyPair = await oauth.generateKeyPair("ES256");
    const DPoP = oauth.DPoP(client, keyPair);

    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const url = new URL(as.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client.client_id,
      redirect_uri: redirectUri,
      response_type: "code",
      scope: "openid offline_access",
      prompt: "consent",
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      dpop_jkt: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), "sha256"),
    }).toString();
    const { callback } = await navigate(new Browser(), url);
    const params = oauth.validateAuthResponse(as, client, callback!, state);

    const code = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, { ...options, DPoP }),
      ),
    );
    expect(code.retried).toBe(true); // the first proof had no nonce
    const tokens = code.result;
    expect(tokens.token_type).toBe("dpop");
    expect(tokens.refresh_token).toBeTruthy();
    const sub = oauth.getValidatedIdTokenClaims(tokens)!.sub;

    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, { ...options, DPoP }),
      ),
    );
    expect(refreshed.retried).toBe(false); // the handle kept the nonce the token endpoint gave
    expect(refreshed.result.token_type).toBe("dpop");

    // A new handle on the same key has no nonce yet: userinfo (a protected resource, §9) asks for one.
    const fresh = oauth.DPoP(client, keyPair);
    const userinfo = await withNonceRetry(async () =>
      oauth.processUserInfoResponse(as, client, sub, await oauth.userInfoRequest(as, client, refreshed.result.access_token, { ...options, DPoP: fresh })),
    );
    expect(userinfo.retried).toBe(true);
    expect(userinfo.result.sub).toBe(sub);

    // Another key cannot use the tokens (RFC 9449 §7.1, §5).
    const stranger = oauth.DPoP(client, await oauth.generateKeyPair("ES256"));
    await expect(
      withNonceRetry(async () =>
        oauth.processUserInfoResponse(as, client, sub, await oauth.userInfoRequest(as, client, refreshed.result.access_token, { ...options, DPoP: stranger })),
      ),
    ).rejects.toThrow();
    await expect(
      withNonceRetry(async () =>
        oauth.processRefreshTokenResponse(
          as,
          client,
          await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshed.result.refresh_token!, { ...options, DPoP: stranger }),
        ),
      ),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });
});
