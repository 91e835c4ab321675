import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

/**
 * JWT client authentication and the grants without a browser, as openid-client 6 performs them
 * against the started Workers: private_key_jwt with keys served from a jwks_uri (a loopback
 * server here, allowed in development), client_secret_jwt, client_credentials, token exchange,
 * JWT bearer, introspection and revocation. The clients ask for `scope` and
 * `token_exchange_audiences` of the resources global-setup.ts configures, which development's
 * CLIENT_GRANTS_DEFAULT=requested grants (docs/resources.md).
 */
const API = "https://api.example.com/";
const issuer = inject("issuer");

let jwksServer: Server;
let jwksUri: string;
let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let served: object[] = [];
beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  served = [{ ...(await exportJWK(rsa.publicKey)), kid: "k1", use: "sig", alg: "RS256" }];
  jwksServer = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: served }));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

async function register(metadata: Record<string, unknown>) {
  const res = await fetch(`${issuer}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_types: ["client_credentials"], scope: "read write", ...metadata }),
  });
  const body = await res.text();
  expect(res.status, body).toBe(201);
  return JSON.parse(body) as { client_id: string; client_secret: string };
}

const configure = (clientId: string, metadata: Partial<oidc.ClientMetadata>, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(issuer), clientId, metadata, auth, { execute: [oidc.allowInsecureRequests] });

describe("private_key_jwt with a jwks_uri", () => {
  it("gets client_credentials tokens, introspects and revokes them", async () => {
    const client = await register({ token_endpoint_auth_method: "private_key_jwt", jwks_uri: jwksUri });
    const config = await configure(client.client_id, { token_endpoint_auth_method: "private_key_jwt" }, oidc.PrivateKeyJwt({ key: rsa.privateKey, kid: "k1" }));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "read", resource: API });
    expect(tokens.scope).toBe("read");
    expect(tokens.refresh_token).toBeUndefined();

    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, client_id: client.client_id, scope: "read", aud: API });
    await oidc.tokenRevocation(config, tokens.access_token);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false });
  });

  it("picks up a rotated client key: an unknown kid makes the OP fetch the jwks_uri again", async () => {
    const client = await register({ token_endpoint_auth_method: "private_key_jwt", jwks_uri: jwksUri });
    const first = await configure(client.client_id, {}, oidc.PrivateKeyJwt({ key: rsa.privateKey, kid: "k1" }));
    await oidc.clientCredentialsGrant(first, { resource: API });
    const next = await generateKeyPair("RS256", { extractable: true });
    served = [...served, { ...(await exportJWK(next.publicKey)), kid: "k2", use: "sig", alg: "RS256" }];
    const rotated = await configure(client.client_id, {}, oidc.PrivateKeyJwt({ key: next.privateKey, kid: "k2" }));
    expect((await oidc.clientCredentialsGrant(rotated, { resource: API })).access_token).toBeTruthy();
  });
});

describe("client_secret_jwt", () => {
  it("gets client_credentials tokens", async () => {
    const client = await register({ token_endpoint_auth_method: "client_secret_jwt" });
    const config = await configure(client.client_id, {}, oidc.ClientSecretJwt(client.client_secret));
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "write", resource: API });
    expect(tokens.scope).toBe("write");
  });
});

describe("token exchange (RFC 8693) and JWT bearer (RFC 7523 §2.1) as grants", () => {
  const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
  const AT_TYPE = "urn:ietf:params:oauth:token-type:access_token";

  it("exchanges the client's token for a downstream audience", async () => {
    const client = await register({ grant_types: ["client_credentials", TOKEN_EXCHANGE], token_exchange_audiences: ["https://downstream.example.com/"] });
    const config = await configure(client.client_id, {}, oidc.ClientSecretBasic(client.client_secret));
    const own = await oidc.clientCredentialsGrant(config, { scope: "read write", resource: API });
    const exchanged = await oidc.genericGrantRequest(config, TOKEN_EXCHANGE, {
      subject_token: own.access_token,
      subject_token_type: AT_TYPE,
      audience: "https://downstream.example.com/",
      scope: "read",
    });
    expect(exchanged).toMatchObject({ issued_token_type: AT_TYPE, token_type: "bearer", scope: "read" });
    expect(await oidc.tokenIntrospection(config, exchanged.access_token)).toMatchObject({
      active: true,
      aud: "https://downstream.example.com/",
      scope: "read",
    });
  });

  it("trades a client-signed assertion for an access token", async () => {
    const client = await register({ grant_types: [JWT_BEARER], jwks_uri: jwksUri, token_endpoint_auth_method: "private_key_jwt" });
    const config = await configure(client.client_id, {}, oidc.PrivateKeyJwt({ key: rsa.privateKey, kid: "k1" }));
    const assertion = await new SignJWT({ jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(client.client_id)
      .setSubject(client.client_id)
      .setAudience(issuer)
      .setIssuedAt()
      .setExpirationTime("2m")
      .sign(rsa.privateKey);
    const tokens = await oidc.genericGrantRequest(config, JWT_BEARER, { assertion, scope: "read", resource: API });
    expect(tokens.scope).toBe("read");
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, sub: client.client_id });
  });
});
