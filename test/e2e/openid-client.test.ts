import * as oidc from "openid-client";
import { beforeAll, describe, expect, it } from "vitest";
import { discover, issuer, navigate, newBrowser, POST_LOGOUT_REDIRECT_URI, REDIRECT_URI, type Registered, register } from "./support";

/**
 * The OP as a real Relying Party sees it: the four Workers run under `wrangler dev`
 * (global-setup.ts) and openid-client v6 does discovery, the code exchange (RFC 9207 `iss`,
 * state, nonce, PKCE and ID token signature checks), userinfo, refresh and logout. The
 * browser part (login and consent HTML forms) is plain fetch with a small cookie jar.
 */

const issuerOrigin = new URL(issuer).origin;
const SCOPE = "openid profile email address phone offline_access";

/** Per-authorization request values the RP keeps to check the response. */
async function authorizationRequest(config: oidc.Configuration, extra: Record<string, string> = {}) {
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const pkceCodeVerifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: "S256",
    ...extra,
  });
  return { url, checks: { expectedState: state, expectedNonce: nonce, pkceCodeVerifier, idTokenExpected: true } };
}

/** The OAuth error a token endpoint call failed with (openid-client throws ResponseBodyError). */
async function oauthError(call: Promise<unknown>): Promise<{ error: string; status: number }> {
  try {
    await call;
  } catch (err) {
    if (err instanceof oidc.ResponseBodyError) return { error: err.error, status: err.status };
    throw err;
  }
  throw new Error("expected the call to fail with an OAuth error response");
}

// ---------------------------------------------------------------------------------------------

describe("discovery", () => {
  it("publishes metadata for this issuer, consistent across the Workers", async () => {
    const config = await oidc.discovery(new URL(issuer), "unregistered", undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(issuer);
    for (const endpoint of [
      "authorization_endpoint",
      "token_endpoint",
      "userinfo_endpoint",
      "jwks_uri",
      "registration_endpoint",
      "end_session_endpoint",
    ] as const) {
      expect(new URL(metadata[endpoint] as string).origin, endpoint).toBe(issuerOrigin);
    }
    expect(metadata.code_challenge_methods_supported).toContain("S256");
    expect(metadata.authorization_response_iss_parameter_supported).toBe(true);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["client_secret_basic", "client_secret_post", "none"]));
  });
});

const CLIENTS = [
  { kind: "confidential client (client_secret_basic)", metadata: { token_endpoint_auth_method: "client_secret_basic", client_name: "e2e basic" } },
  { kind: "public client (none, PKCE)", metadata: { token_endpoint_auth_method: "none", client_name: "e2e public" } },
  { kind: "confidential client (client_secret_post)", metadata: { token_endpoint_auth_method: "client_secret_post", client_name: "e2e post" } },
] as const;

describe.each(CLIENTS)("$kind", ({ metadata }) => {
  let client: Registered;
  let config: oidc.Configuration;
  const browser = newBrowser();
  // Results carried from one step to the next (the steps are one RP session, in order).
  let first: (oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers) | undefined;
  let sub: string;
  let rotated: string | undefined;

  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is missing: an earlier step failed`);
    return value;
  };

  beforeAll(async () => {
    client = await register(metadata);
    expect(client.token_endpoint_auth_method).toBe(metadata.token_endpoint_auth_method);
    if (metadata.token_endpoint_auth_method === "none") expect(client.client_secret).toBeUndefined();
    else expect(typeof client.client_secret).toBe("string");
    config = await discover(client);
  });

  it("logs alice in through the HTML forms, consents, and redeems the code with openid-client", async () => {
    const { url, checks } = await authorizationRequest(config, { prompt: "consent" });
    expect(url.origin + url.pathname).toBe(config.serverMetadata().authorization_endpoint);
    const run = await navigate(browser, url);
    expect(run.pages).toEqual(["login", "consent"]);
    expect(browser.cookies.has("op_session")).toBe(true);

    const callback = run.callback;
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("error"), callback.toString()).toBeNull();
    expect(callback.searchParams.get("iss")).toBe(issuer); // RFC 9207
    expect(callback.searchParams.get("state")).toBe(checks.expectedState);

    // Validates iss, state, the ID token (signature via jwks_uri, iss, aud, exp, iat, nonce) and sends the PKCE verifier.
    const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(typeof tokens.access_token).toBe("string");
    expect(typeof tokens.refresh_token).toBe("string"); // offline_access was granted
    expect(tokens.expiresIn()).toBeGreaterThan(0);
    expect(tokens.scope?.split(" ").sort()).toEqual(SCOPE.split(" ").sort());

    const claims = tokens.claims()!;
    expect(claims.iss).toBe(issuer);
    expect(claims.aud === client.client_id || (Array.isArray(claims.aud) && claims.aud.includes(client.client_id))).toBe(true);
    expect(claims.nonce).toBe(checks.expectedNonce);
    expect(typeof claims.sub).toBe("string");
    expect(typeof claims.auth_time).toBe("number");
    expect(typeof claims.sid).toBe("string");
    // The granted scopes' claims, where RPs such as Auth.js read the profile (ID_TOKEN_SCOPE_CLAIMS, on by default).
    expect(claims).toMatchObject({ name: "Alice Adams", email: "alice@example.com", email_verified: true, phone_number: "+1 (555) 010-0100" });
    first = tokens;
    sub = claims.sub;
  });

  it("returns alice's standard claims from userinfo", async () => {
    const tokens = need(first, "the first token response");
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, sub);
    expect(userinfo).toMatchObject({
      sub,
      name: "Alice Adams",
      given_name: "Alice",
      family_name: "Adams",
      preferred_username: "alice",
      email: "alice@example.com",
      phone_number: "+1 (555) 010-0100",
      birthdate: "1990-04-01",
      locale: "en-US",
      zoneinfo: "Europe/Paris",
    });
    expect(userinfo.email_verified).toBe(true);
    expect(userinfo.phone_number_verified).toBe(true);
    expect(typeof userinfo.updated_at).toBe("number");
    expect(userinfo.updated_at).toBe(1767225600);
    expect(userinfo.address).toEqual({
      formatted: "1 Example Street\nSpringfield, IL 62701\nUSA",
      street_address: "1 Example Street",
      locality: "Springfield",
      region: "IL",
      postal_code: "62701",
      country: "USA",
    });
  });

  it("rotates the refresh token; replaying the old one fails and revokes the whole family", async () => {
    const tokens = need(first, "the first token response");
    const original = tokens.refresh_token!;
    const refreshed = await oidc.refreshTokenGrant(config, original);
    expect(typeof refreshed.access_token).toBe("string");
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(typeof refreshed.refresh_token).toBe("string");
    expect(refreshed.refresh_token).not.toBe(original);
    const refreshedClaims = refreshed.claims();
    if (refreshedClaims) {
      expect(refreshedClaims.sub).toBe(sub);
      expect(refreshedClaims.iss).toBe(issuer);
      expect(refreshedClaims.email).toBe("alice@example.com");
    }
    expect((await oidc.fetchUserInfo(config, refreshed.access_token, sub)).sub).toBe(sub);
    rotated = refreshed.refresh_token!;

    expect(await oauthError(oidc.refreshTokenGrant(config, original))).toEqual({ error: "invalid_grant", status: 400 });
    // RFC 9700 §4.14.2: the reuse revoked the family, so the current token is dead too.
    expect(await oauthError(oidc.refreshTokenGrant(config, rotated))).toEqual({ error: "invalid_grant", status: 400 });
  });

  it("signs out with RP-initiated logout and returns to the registered post_logout_redirect_uri with state", async () => {
    const tokens = need(first, "the first token response");
    // While signed in, a silent request succeeds: the session and the consent are in place.
    const silent = await authorizationRequest(config, { prompt: "none" });
    const before = await navigate(browser, silent.url);
    expect(before.pages).toEqual([]);
    expect(before.callback.searchParams.get("error"), before.callback.toString()).toBeNull();
    await oidc.authorizationCodeGrant(config, before.callback, silent.checks);

    const sessionCookie = need(browser.cookies.get("op_session"), "the op_session cookie").value;
    const state = oidc.randomState();
    const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state });
    expect(logout.origin + logout.pathname).toBe(config.serverMetadata().end_session_endpoint);
    const run = await navigate(browser, logout);
    expect(run.pages).toEqual([]);
    expect(run.callback.origin + run.callback.pathname).toBe(POST_LOGOUT_REDIRECT_URI);
    expect(run.callback.searchParams.get("state")).toBe(state);
    expect(browser.cookies.has("op_session")).toBe(false);

    // The session ended at the OP, not only in this browser: its old cookie no longer logs in silently.
    const replay = newBrowser();
    replay.cookies.set("op_session", { value: sessionCookie, path: "/" });
    const stale = await authorizationRequest(config, { prompt: "none" });
    const staleRun = await navigate(replay, stale.url);
    expect(staleRun.callback.searchParams.get("error")).toBe("login_required");
  });

  it("answers prompt=none with login_required after the logout", async () => {
    const { url, checks } = await authorizationRequest(config, { prompt: "none" });
    const run = await navigate(browser, url);
    expect(run.pages).toEqual([]);
    const callback = run.callback;
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get("error")).toBe("login_required");
    expect(callback.searchParams.get("state")).toBe(checks.expectedState);
    expect(callback.searchParams.get("iss")).toBe(issuer);
    expect(callback.searchParams.get("code")).toBeNull();
    // openid-client checks iss and state, then surfaces the error response.
    const err = await oidc.authorizationCodeGrant(config, callback, checks).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(oidc.AuthorizationResponseError);
    expect((err as oidc.AuthorizationResponseError).error).toBe("login_required");
  });
});
