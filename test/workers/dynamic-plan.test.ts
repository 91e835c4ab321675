import { describe, expect, it } from "vitest";
import { authorize, Browser, decodeJwt, ISSUER, op, redeemCode, registerClient } from "./helpers";

/**
 * What the conformance suite's Dynamic OP plan (oidcc-dynamic-certification-test-plan) asserts
 * about registration and ID tokens, module by module, registering the way the suite does
 * (OIDCCCreateDynamicClientRegistrationRequest: grant and response types, contacts, redirect URI).
 */
const SUITE = "https://suite.example.org/test/a/op-under-test";

async function register(metadata: Record<string, unknown>) {
  const res = await op("/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "OIDF conformance",
      contacts: ["certification@oidf.org"],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      ...metadata,
    }),
  });
  return { status: res.status, body: await res.json<Record<string, any>>() };
}

describe("Dynamic OP plan: registration", () => {
  it("oidcc-redirect-uri-query-OK: a redirect URI with a query is registered, used, and keeps its query", async () => {
    const redirect = `${SUITE}/callback?dummy1=lorem&dummy2=ipsum`;
    const client = await registerClient({ redirect_uris: [redirect], grant_types: ["authorization_code"] });
    expect(client.redirect_uris).toEqual([redirect]);
    const res = await authorize(new Browser(), client, { params: { redirect_uri: redirect } });
    expect(res.redirect!.searchParams.get("dummy1")).toBe("lorem");
    expect(res.redirect!.searchParams.get("dummy2")).toBe("ipsum");
    expect(res.redirect!.searchParams.get("code")).toBeTruthy();
    const tokens = await redeemCode(client, res.redirect!.searchParams.get("code")!, res.verifier, { redirect_uri: redirect });
    expect(tokens.status, await tokens.clone().text()).toBe(200);
  });

  it.each([
    ["oidcc-redirect-uri-query-mismatch", `${SUITE}/callback?dummy1=lorem&dummy2=ipsum`, `${SUITE}/callback?dummy1=lorem&dummy2=changed`],
    ["oidcc-redirect-uri-query-added", `${SUITE}/callback`, `${SUITE}/callback?dummy1=lorem`],
  ])("%s: a different query is refused on an error page, not redirected", async (_, registered, sent) => {
    const client = await registerClient({ redirect_uris: [registered], grant_types: ["authorization_code"] });
    const res = await authorize(new Browser(), client, { params: { redirect_uri: sent } });
    expect(res.redirect).toBeUndefined();
    expect(res.status).toBe(400);
    expect(res.page).toContain("redirect_uri");
  });

  it("oidcc-redirect-uri-regfrag: a redirect URI with a fragment is refused", async () => {
    const { status, body } = await register({ redirect_uris: [`${SUITE}/callback#fragment`] });
    expect(status).toBe(400);
    expect(["invalid_request", "invalid_client_metadata", "invalid_redirect_uri"]).toContain(body.error);
  });

  it("an implicit client without redirect_uris is refused (OIDC DCR §2)", async () => {
    const { status, body } = await register({ redirect_uris: [], response_types: ["id_token"], grant_types: ["implicit"] });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_redirect_uri");
  });

  it("oidcc-ensure-redirect-uri-in-authorization-request: without redirect_uri, a client with two gets an error page", async () => {
    const client = await registerClient({ redirect_uris: [`${SUITE}/callback`, `${SUITE}/callback2`], grant_types: ["authorization_code"] });
    const params = new URLSearchParams({ client_id: client.client_id, response_type: "code", scope: "openid", state: "s", nonce: "n" });
    const res = await op(`/authorize?${params}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("location")).toBeNull();
    expect(await res.text()).toContain("redirect_uri");
  });

  it.each(["logo_uri", "policy_uri", "tos_uri"])("oidcc-registration-%s: accepted, returned and shown on the login page", async (member) => {
    const url = `${SUITE}/${member}.html`;
    const client = await registerClient({ [member]: url, grant_types: ["authorization_code"] });
    expect(client[member]).toBe(url);
    const res = await authorize(new Browser(), client, { username: "alice", password: "wrong" });
    expect(res.page).toContain(url);
  });

  it("oidcc-registration-jwks-uri: private_key_jwt with a jwks_uri on https is accepted", async () => {
    const { status, body } = await register({ redirect_uris: [`${SUITE}/callback`], token_endpoint_auth_method: "private_key_jwt", jwks_uri: `${SUITE}/jwks` });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ token_endpoint_auth_method: "private_key_jwt", jwks_uri: `${SUITE}/jwks` });
  });

  it("unregisters with the registration access token (the suite's cleanup)", async () => {
    const { body } = await register({ redirect_uris: [`${SUITE}/callback`] });
    const del = await op(new URL(body.registration_client_uri).pathname, {
      method: "DELETE",
      headers: { authorization: `Bearer ${body.registration_access_token}` },
    });
    expect(del.status).toBe(204);
  });
});

describe("Dynamic OP plan: oidcc-idtoken-unsigned", () => {
  it("discovery offers none", async () => {
    const meta = await (await op("/.well-known/openid-configuration")).json<{ id_token_signing_alg_values_supported: string[] }>();
    expect(meta.id_token_signing_alg_values_supported).toContain("none");
  });

  // OIDC Core §2: none only when the authorization endpoint returns no ID token; the suite runs this module for code and code token.
  it.each<[string, string[]]>([
    ["code", ["authorization_code"]],
    ["code token", ["authorization_code", "implicit"]],
  ])("response type %s: registered, and the token endpoint's ID token is unsigned", async (responseType, grants) => {
    const client = await registerClient({ response_types: [responseType], grant_types: grants, id_token_signed_response_alg: "none" });
    const res = await authorize(new Browser(), client, { params: { response_type: responseType } });
    const callback = responseType === "code" ? res.redirect!.searchParams : new URLSearchParams(res.redirect!.hash.slice(1));
    expect(callback.get("id_token")).toBeNull();
    const tokens = await (await redeemCode(client, callback.get("code")!, res.verifier)).json<{ id_token: string }>();
    const [header, , signature] = tokens.id_token.split(".");
    expect(JSON.parse(atob(header!))).toEqual({ alg: "none" });
    expect(signature).toBe("");
    expect(decodeJwt(tokens.id_token)).toMatchObject({ iss: ISSUER, aud: client.client_id, nonce: res.params.nonce });
  });

  it.each(["code id_token", "id_token", "id_token token", "code id_token token"])("response type %s: none is refused", async (responseType) => {
    const grants = responseType.includes("code") ? ["authorization_code", "implicit"] : ["implicit"];
    const { status, body } = await register({
      redirect_uris: [`${SUITE}/callback`],
      response_types: [responseType],
      grant_types: grants,
      id_token_signed_response_alg: "none",
    });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_client_metadata");
  });
});
