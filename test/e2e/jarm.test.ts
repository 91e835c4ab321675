import { compactDecrypt, exportJWK, generateKeyPair } from "jose";
import * as oauth from "oauth4webapi";
import { beforeAll, describe, expect, it } from "vitest";
import { issuer, navigate, newBrowser, REDIRECT_URI, register } from "./support";

/**
 * JARM end to end: the OP under `wrangler dev`, and oauth4webapi 3 as the client library that
 * validates the JWT authorization response (validateJwtAuthResponse: signature against the
 * OP's jwks_uri, iss, aud, exp, then state and RFC 9207 iss) before redeeming the code.
 */

const insecure = { [oauth.allowInsecureRequests]: true } as const; // the OP listens on http://localhost
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  const url = new URL(issuer);
  as = await oauth.processDiscoveryResponse(url, await oauth.discoveryRequest(url, insecure));
});

async function authorizationUrl(client: oauth.Client, params: Record<string, string>) {
  const state = oauth.generateRandomState();
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    response_type: "code",
    scope: "openid email",
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...params,
  }).toString();
  return { url, state, verifier };
}

describe("JARM with oauth4webapi", () => {
  it("discovery advertises the JWT response modes and their algorithms", () => {
    expect(as.response_modes_supported).toEqual(expect.arrayContaining(["jwt", "query.jwt", "fragment.jwt", "form_post.jwt"]));
    expect(as.authorization_signing_alg_values_supported).toEqual(expect.arrayContaining(["RS256", "ES256"]));
  });

  it.each(["RS256", "ES256"])("response_mode=jwt, %s: validateJwtAuthResponse accepts the response and the code redeems", async (alg) => {
    const registered = await register({ authorization_signed_response_alg: alg, token_endpoint_auth_method: "client_secret_basic" });
    const client: oauth.Client = { client_id: registered.client_id, authorization_signed_response_alg: alg };
    const { url, state, verifier } = await authorizationUrl(client, { response_mode: "jwt" });
    const { callback } = await navigate(newBrowser(), url);
    expect([...callback.searchParams.keys()]).toEqual(["response"]);
    const params = await oauth.validateJwtAuthResponse(as, client, callback, state, insecure);
    expect(params.get("iss")).toBe(issuer);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(registered.client_secret!),
      params,
      REDIRECT_URI,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
    expect(tokens.access_token).toBeTruthy();
    expect(oauth.getValidatedIdTokenClaims(tokens)).toMatchObject({ iss: issuer, aud: client.client_id, sub: expect.any(String) });
  });

  it("an error response is a JWT that validates and surfaces as an authorization error", async () => {
    const registered = await register({});
    const client: oauth.Client = { client_id: registered.client_id };
    const { url, state } = await authorizationUrl(client, { response_mode: "query.jwt", prompt: "none" });
    const { callback } = await navigate(newBrowser(), url); // no session: login_required
    await expect(oauth.validateJwtAuthResponse(as, client, callback, state, insecure)).rejects.toMatchObject({ error: "login_required" });
  });

  it("a tampered response is rejected by the client", async () => {
    const registered = await register({});
    const client: oauth.Client = { client_id: registered.client_id };
    const { url, state } = await authorizationUrl(client, { response_mode: "query.jwt", prompt: "none" });
    const { callback } = await navigate(newBrowser(), url);
    const [h, p, s] = callback.searchParams.get("response")!.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    callback.searchParams.set("response", [h, Buffer.from(JSON.stringify({ ...claims, error: "none" })).toString("base64url"), s].join("."));
    await expect(oauth.validateJwtAuthResponse(as, client, callback, state, insecure)).rejects.toThrow(/signature/i);
  });

  it("an encrypted response decrypts with the client's key and then validates", async () => {
    const { publicKey, privateKey } = await generateKeyPair("ECDH-ES", { crv: "P-256", extractable: true });
    const registered = await register({
      jwks: { keys: [{ ...(await exportJWK(publicKey)), use: "enc", kid: "e2e-enc" }] },
      authorization_encrypted_response_alg: "ECDH-ES",
      authorization_encrypted_response_enc: "A256GCM",
      token_endpoint_auth_method: "client_secret_basic",
    });
    const client: oauth.Client = { client_id: registered.client_id };
    const { url, state, verifier } = await authorizationUrl(client, { response_mode: "jwt" });
    const { callback } = await navigate(newBrowser(), url);
    const decrypt: oauth.JweDecryptFunction = async (jwe) =>
      new TextDecoder().decode(
        (await compactDecrypt(jwe, privateKey, { keyManagementAlgorithms: ["ECDH-ES"], contentEncryptionAlgorithms: ["A256GCM"] })).plaintext,
      );
    const params = await oauth.validateJwtAuthResponse(as, client, callback, state, { ...insecure, [oauth.jweDecrypt]: decrypt });
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(registered.client_secret!),
      params,
      REDIRECT_URI,
      verifier,
      insecure,
    );
    expect((await oauth.processAuthorizationCodeResponse(as, client, res)).access_token).toBeTruthy();
  });
});
