import { describe, expect, it } from "vitest";
import { authorize, Browser, b64url, decodeJwt, machineClient, op, registerClient } from "./helpers";

/**
 * RFC 8705 with the development stand-in for the edge's cf.tlsClientAuth: the
 * x-dev-tls-client-auth header carries the same fields Cloudflare reports.
 */
const DER = crypto.getRandomValues(new Uint8Array(300)); // the certificate bytes; only their hash matters here
const hex = async (bytes: Uint8Array) => [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const thumbprint = async (bytes: Uint8Array) => b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
const certHeader = async (opts: { der?: Uint8Array; subject?: string; verified?: string } = {}) => ({
  "x-dev-tls-client-auth": JSON.stringify({
    certPresented: "1",
    certVerified: opts.verified ?? "SUCCESS",
    certSubjectDNRFC2253: opts.subject ?? "CN=client.example.com,O=Example",
    certFingerprintSHA256: await hex(opts.der ?? DER),
  }),
});
const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
  op("/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body) });
const m2m = { grant_types: ["client_credentials"], redirect_uris: undefined };
/** The operator's grant to these clients: the test API (test/support/test-resources.ts), its read scope. */
const M2M_GRANTS = { client_credentials: [{ resource: "test-api", scopes: ["read"] }] };

describe("tls_client_auth (RFC 8705 §2.1)", () => {
  it("authenticates a CA-verified certificate with the registered subject DN", async () => {
    const client = await machineClient(M2M_GRANTS, {
      ...m2m,
      token_endpoint_auth_method: "tls_client_auth",
      tls_client_auth_subject_dn: "cn=client.example.com, O=Example",
    });
    expect(client.client_secret).toBeUndefined(); // it authenticates with its certificate
    const body = { grant_type: "client_credentials", client_id: client.client_id };
    expect((await token(body, await certHeader())).status).toBe(200);
    for (const headers of [{}, await certHeader({ subject: "CN=other" }), await certHeader({ verified: "FAILED:unable to verify the first certificate" })]) {
      const res = await token(body, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: "invalid_client" });
    }
  });

  it("needs the subject DN at registration", async () => {
    const res = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...m2m, token_endpoint_auth_method: "tls_client_auth" }),
    });
    expect(await res.json()).toMatchObject({ error: "invalid_client_metadata" });
  });
});

describe("self_signed_tls_client_auth (RFC 8705 §2.2)", () => {
  it("authenticates the certificate registered in jwks x5c, verified chain or not", async () => {
    const x5c = btoa(String.fromCharCode(...DER));
    const client = await machineClient(M2M_GRANTS, {
      ...m2m,
      token_endpoint_auth_method: "self_signed_tls_client_auth",
      jwks: { keys: [{ kty: "EC", crv: "P-256", x: "x", y: "y", x5c: [x5c] }] },
    });
    const body = { grant_type: "client_credentials", client_id: client.client_id };
    expect((await token(body, await certHeader({ verified: "FAILED:self signed certificate" }))).status).toBe(200);
    expect((await token(body, await certHeader({ der: crypto.getRandomValues(new Uint8Array(300)) }))).status).toBe(401);
  });
});

describe("certificate-bound access tokens (RFC 8705 §3)", () => {
  it("binds the token to the certificate; userinfo accepts it only with that certificate; introspection shows cnf", async () => {
    // Any authentication method; the binding needs a certificate on the token request.
    const client = await registerClient({ tls_client_certificate_bound_access_tokens: true, token_endpoint_auth_method: "client_secret_post" });
    const r = await authorize(new Browser(), client, { params: { scope: "openid email" } });
    const body = {
      grant_type: "authorization_code",
      code: r.redirect!.searchParams.get("code")!,
      redirect_uri: client.redirect_uris[0]!,
      code_verifier: r.verifier,
      client_id: client.client_id,
      client_secret: client.client_secret!,
    };
    const withoutCert = await token(body);
    expect(await withoutCert.json()).toMatchObject({ error: "invalid_request" });
    const res = await token(body, await certHeader());
    expect(res.status, await res.clone().text()).toBe(200);
    const { access_token } = await res.json<{ access_token: string }>();
    expect(decodeJwt(access_token).cnf).toEqual({ "x5t#S256": await thumbprint(DER) });
    const userinfo = async (headers: Record<string, string>) =>
      (await op("/userinfo", { headers: { authorization: `Bearer ${access_token}`, ...headers } })).status;
    expect(await userinfo(await certHeader())).toBe(200);
    expect(await userinfo({})).toBe(401);
    expect(await userinfo(await certHeader({ der: crypto.getRandomValues(new Uint8Array(300)) }))).toBe(401);
    const introspection = await op("/introspect", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: access_token, client_id: client.client_id, client_secret: client.client_secret! }),
    });
    expect(await introspection.json()).toMatchObject({ active: true, cnf: { "x5t#S256": await thumbprint(DER) } });
  });

  it("discovery advertises the TLS methods and bound tokens (development)", async () => {
    const m = await (await op("/.well-known/openid-configuration")).json<Record<string, unknown>>();
    expect(m.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["tls_client_auth", "self_signed_tls_client_auth"]));
    expect(m.tls_client_certificate_bound_access_tokens).toBe(true);
  });
});
