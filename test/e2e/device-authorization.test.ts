import * as oidc from "openid-client";
import { describe, expect, inject, it } from "vitest";
import { Browser, parseForms } from "../support/browser";

/**
 * The device authorization grant (RFC 8628) as openid-client 6 performs it against the started
 * Workers: the device starts it and polls (at the OP's 5 s interval), while the user answers on
 * the /device pages with the shared test browser over the network.
 */
const issuer = inject("issuer");
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

async function register(metadata: Record<string, unknown>) {
  const res = await fetch(`${issuer}/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ grant_types: [DEVICE_GRANT, "refresh_token"], client_name: "e2e device", ...metadata }),
  });
  const body = await res.text();
  expect(res.status, body).toBe(201);
  return JSON.parse(body) as { client_id: string; client_secret?: string; token_endpoint_auth_method: string; redirect_uris: string[] };
}

const configure = (clientId: string, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(issuer), clientId, { id_token_signed_response_alg: "RS256" }, auth, { execute: [oidc.allowInsecureRequests] });

/** The user's part on another screen: open verification_uri_complete, submit the code, sign in, answer. */
async function answerOnAnotherScreen(response: oidc.DeviceAuthorizationResponse, decision: "approve" | "deny") {
  const browser = new Browser(issuer, (request) => fetch(request));
  const next = async (res: Response) => {
    const html = await res.text();
    expect(res.status, html).toBe(200);
    return { html, actions: parseForms(html).map((f) => f.action) };
  };
  let page = await next(await browser.fetch(response.verification_uri_complete!));
  expect(page.html).toContain(response.user_code);
  page = await next(await browser.submit(page.html, "/device", { user_code: response.user_code }));
  expect(page.actions).toEqual(["/device/login"]);
  page = await next(await browser.submit(page.html, "/device/login", { username: "alice", password: "alice-password", action: "login" }));
  expect(page.actions).toEqual(["/device/consent"]);
  expect(page.html).toContain("e2e device");
  page = await next(await browser.submit(page.html, "/device/consent", { decision }));
  expect(page.html).toContain("You can return to your device");
}

/** Polls from the start, so the device waits while the user answers; settles without throwing. */
function startPolling(config: oidc.Configuration, response: oidc.DeviceAuthorizationResponse) {
  return oidc.pollDeviceAuthorizationGrant(config, response).then(
    (tokens) => ({ tokens, error: undefined }),
    (error: unknown) => ({ tokens: undefined, error }),
  );
}

describe("device authorization grant with openid-client", () => {
  it("a confidential client gets ID, access and refresh tokens once the user approves", async () => {
    const client = await register({ token_endpoint_auth_method: "client_secret_basic" });
    expect(client.redirect_uris).toEqual([]);
    const config = await configure(client.client_id, oidc.ClientSecretBasic(client.client_secret!));
    expect(config.serverMetadata().device_authorization_endpoint).toBe(`${issuer}/device_authorization`);

    const response = await oidc.initiateDeviceAuthorization(config, { scope: "openid profile email offline_access" });
    expect(response.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(response.verification_uri).toBe(`${issuer}/device`);
    expect(response).toMatchObject({ expires_in: 600, interval: 5 });

    const polling = startPolling(config, response);
    await answerOnAnotherScreen(response, "approve");
    const { tokens, error } = await polling;
    if (error) throw error;
    expect(tokens!.scope).toBe("openid profile email offline_access");
    const claims = tokens!.claims()!;
    expect(claims).toMatchObject({ iss: issuer, aud: client.client_id, amr: ["pwd"] });
    const userinfo = await oidc.fetchUserInfo(config, tokens!.access_token, claims.sub);
    expect(userinfo).toMatchObject({ sub: claims.sub, name: "Alice Adams", email: "alice@example.com" });

    const refreshed = await oidc.refreshTokenGrant(config, tokens!.refresh_token!);
    expect(refreshed.claims()!.sub).toBe(claims.sub);
  });

  it("a public client's polling ends with access_denied when the user denies", async () => {
    const client = await register({ token_endpoint_auth_method: "none", grant_types: [DEVICE_GRANT] });
    const config = await configure(client.client_id, oidc.None());
    const response = await oidc.initiateDeviceAuthorization(config, { scope: "openid" });
    const polling = startPolling(config, response);
    await answerOnAnotherScreen(response, "deny");
    const { error } = await polling;
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    expect((error as oidc.ResponseBodyError).error).toBe("access_denied");
  });
});
