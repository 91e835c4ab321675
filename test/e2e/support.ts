import * as oidc from "openid-client";
import { expect, inject } from "vitest";
import { Browser, navigate as navigateOp } from "../support/browser";

/** What the end-to-end files share: the started OP's issuer, a browser over the network, registration and discovery. */

export const issuer = inject("issuer");
// Loopback redirect URIs (allowed over http in development). Nothing listens there: the
// browser stops at the redirect that leaves the OP and hands its URL to the RP code.
export const REDIRECT_URI = "http://127.0.0.1/e2e/callback";
export const POST_LOGOUT_REDIRECT_URI = "http://127.0.0.1/e2e/logged-out";

/** The shared test browser (test/support/browser.ts) over the network. */
export const newBrowser = () => new Browser(issuer, (request) => fetch(request));

/** Follows an authorization or logout request until the OP redirects away; fails on any page it stops on. */
export async function navigate(browser: Browser, start: URL) {
  const run = await navigateOp(browser, start);
  if (!run.callback) throw new Error(`the OP stopped on a ${run.page?.status} page instead of redirecting:\n${run.page?.html}`);
  return { callback: run.callback, pages: run.pages };
}

export interface Registered {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  [k: string]: unknown;
}

export async function register(metadata: Record<string, unknown>): Promise<Registered> {
  const res = await fetch(`${issuer}/register`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({
      redirect_uris: [REDIRECT_URI],
      post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      ...metadata,
    }),
  });
  const body = await res.text();
  expect(res.status, body).toBe(201);
  const client = JSON.parse(body) as Registered;
  // op-management must know the issuer too (wrangler dev gives --var to the first Worker only).
  expect(client.registration_client_uri).toBe(`${issuer}/register/${encodeURIComponent(client.client_id)}`);
  expect(res.headers.get("location")).toBe(client.registration_client_uri);
  return client;
}

function clientAuth(client: Registered): oidc.ClientAuth {
  switch (client.token_endpoint_auth_method) {
    case "client_secret_basic":
      return oidc.ClientSecretBasic(client.client_secret);
    case "client_secret_post":
      return oidc.ClientSecretPost(client.client_secret);
    case "none":
      return oidc.None();
    default:
      throw new Error(`unexpected auth method ${client.token_endpoint_auth_method}`);
  }
}

export async function discover(client: Registered, metadata: Partial<oidc.ClientMetadata> = {}): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(issuer),
    client.client_id,
    { client_secret: client.client_secret, token_endpoint_auth_method: client.token_endpoint_auth_method, id_token_signed_response_alg: "RS256", ...metadata },
    clientAuth(client),
    { execute: [oidc.allowInsecureRequests] },
  );
}
