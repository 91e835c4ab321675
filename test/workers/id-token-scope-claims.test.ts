import { env } from "cloudflare:workers";
import { idTokenCarriesScopeClaims } from "@op/rules";
import { describe, expect, it } from "vitest";
import opToken from "../../packages/op-token/src/index";
import { authorize, Browser, basicAuth, decodeJwt, ISSUER, op, type RegisteredClient, registerClient } from "./helpers";

/**
 * OIDC Core §5.4: the claims of the granted scopes in the ID token beside an access token, as
 * ID_TOKEN_SCOPE_CLAIMS (server-wide, on by default) and a client's id_token_scope_claims decide;
 * always when no access token is issued. The same rule holds for ID tokens from a refresh.
 */
const SCOPE = "openid profile email offline_access";
const SCOPE_CLAIMS = { email: "alice@example.com", name: "Alice Adams", preferred_username: "alice" };

/** The token endpoint as op-token runs it, here with other variables (a server-wide setting). */
const tokenEndpoint = (body: Record<string, string>, client: RegisteredClient, vars: Record<string, unknown>) =>
  opToken.fetch(
    new Request(`${ISSUER}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) },
      body: new URLSearchParams(body),
    }),
    { ...env, ...vars } as typeof env,
  );

/** A code flow for `metadata`'s client, redeemed and then refreshed under `vars`: both ID tokens and the userinfo response. */
async function idTokens(metadata: Record<string, unknown>, vars: Record<string, unknown> = {}) {
  const client = await registerClient(metadata);
  const r = await authorize(new Browser(), client, { params: { scope: SCOPE, prompt: "consent" } });
  const code = r.redirect!.searchParams.get("code")!;
  const res = await tokenEndpoint({ grant_type: "authorization_code", code, redirect_uri: client.redirect_uris[0]!, code_verifier: r.verifier }, client, vars);
  const tokens = await res.json<Record<string, string>>();
  expect(res.status, JSON.stringify(tokens)).toBe(200);
  expect(tokens.refresh_token).toBeTruthy();
  const refreshed = await (await tokenEndpoint({ grant_type: "refresh_token", refresh_token: tokens.refresh_token! }, client, vars)).json<
    Record<string, string>
  >();
  const userinfo = await (await op("/userinfo", { headers: { authorization: `Bearer ${tokens.access_token}` } })).json<Record<string, unknown>>();
  return { first: decodeJwt(tokens.id_token!), refreshed: decodeJwt(refreshed.id_token!), userinfo };
}

const withScopeClaims = (claims: Record<string, unknown>) => expect(claims).toMatchObject(SCOPE_CLAIMS);
const withoutScopeClaims = (claims: Record<string, unknown>) => {
  for (const name of Object.keys(SCOPE_CLAIMS)) expect(claims).not.toHaveProperty(name);
  expect(claims.sub).toBeTruthy();
};

describe("scope claims in the ID token (OIDC Core §5.4)", () => {
  it("by default ride in the ID token, from the code and from a refresh, and in userinfo", async () => {
    const { first, refreshed, userinfo } = await idTokens({});
    withScopeClaims(first);
    withScopeClaims(refreshed);
    withScopeClaims(userinfo);
  });

  it("not for a client that registered id_token_scope_claims false: userinfo only, refresh alike", async () => {
    const { first, refreshed, userinfo } = await idTokens({ id_token_scope_claims: false });
    withoutScopeClaims(first);
    withoutScopeClaims(refreshed);
    withScopeClaims(userinfo);
  });

  it("not where ID_TOKEN_SCOPE_CLAIMS is false, unless the client asks for them", async () => {
    const off = await idTokens({}, { ID_TOKEN_SCOPE_CLAIMS: "false" });
    withoutScopeClaims(off.first);
    withoutScopeClaims(off.refreshed);
    withScopeClaims(off.userinfo);
    const on = await idTokens({ id_token_scope_claims: true }, { ID_TOKEN_SCOPE_CLAIMS: "false" });
    withScopeClaims(on.first);
    withScopeClaims(on.refreshed);
  });

  it("always when no access token is issued (response_type id_token), whatever the client registered", async () => {
    const client = await registerClient({ response_types: ["id_token"], grant_types: ["implicit"], id_token_scope_claims: false });
    const r = await authorize(new Browser(), client, { params: { response_type: "id_token", scope: "openid profile email" } });
    withScopeClaims(decodeJwt(new URLSearchParams(r.redirect!.hash.slice(1)).get("id_token")!));
  });

  it("the claims of the granted scopes only", async () => {
    const { first } = await idTokens({ scope: "openid email offline_access" });
    expect(first.email).toBe(SCOPE_CLAIMS.email);
    expect(first.name).toBeUndefined();
  });

  it("registration stores and returns id_token_scope_claims, and refuses a value that is not a boolean", async () => {
    const client = await registerClient({ id_token_scope_claims: false });
    expect(client.id_token_scope_claims).toBe(false);
    const read = await op(client.registration_client_uri, { headers: { authorization: `Bearer ${client.registration_access_token}` } });
    expect(await read.json()).toMatchObject({ id_token_scope_claims: false });
    const bad = await op("/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], id_token_scope_claims: "yes" }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_client_metadata" });
  });
});

describe("idTokenCarriesScopeClaims", () => {
  it.each<[boolean | undefined, boolean, boolean, boolean]>([
    // client setting, server setting, access token issued, result
    [undefined, true, true, true],
    [undefined, false, true, false],
    [false, true, true, false],
    [true, false, true, true],
    [false, false, false, true],
    [undefined, false, false, true],
  ])("client %s, server %s, access token issued %s: %s", (clientSetting, serverSetting, accessTokenIssued, expected) => {
    expect(idTokenCarriesScopeClaims({ id_token_scope_claims: clientSetting }, { idTokenScopeClaims: serverSetting }, accessTokenIssued)).toBe(expected);
  });
});
