import { initiateLoginUrl } from "@op/rules";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  authorize,
  Browser,
  basicAuth,
  codeRequestParams,
  completeFlow,
  decodeJwt,
  grantClient,
  ISSUER,
  op,
  type RegisteredClient,
  redeemCode,
  registerClient,
} from "./helpers";

/** Follows OP-internal redirects from `path` and returns the page the browser stops on. */
async function navigateTo(browser: Browser, path: string): Promise<string> {
  let res = await browser.fetch(path);
  for (let i = 0; i < 5 && res.status === 303; i++) res = await browser.fetch(res.headers.get("location")!);
  return res.text();
}

/**
 * Pairwise subject identifiers (OIDC Core §8, OIDC DCR §2/§5). The sector_identifier_uri
 * documents are served for real by test/setup/document-server.ts on loopback, outside workerd.
 */
const docs = inject("documentServer");
/** A sector_identifier_uri answering `body` (a JSON array unless told otherwise). */
const sectorUri = (body: unknown, extra: Record<string, string> = {}) =>
  `${docs}/doc?${new URLSearchParams({ body: typeof body === "string" ? body : JSON.stringify(body), ...extra })}`;

async function register(metadata: Record<string, unknown>) {
  const res = await op("/register", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ redirect_uris: ["https://rp.example.com/cb"], grant_types: ["authorization_code", "refresh_token"], ...metadata }),
  });
  return { status: res.status, body: await res.json<Record<string, any>>() };
}

const PUBLIC_SUB = /^[0-9a-f]{64}$/;

describe("registration of pairwise clients", () => {
  it("is advertised in discovery", async () => {
    const meta = await (await op("/.well-known/openid-configuration")).json<Record<string, any>>();
    expect(meta.subject_types_supported).toEqual(["public", "pairwise"]);
  });

  it("fetches sector_identifier_uri and accepts it when it lists every redirect URI", async () => {
    const redirect_uris = ["https://rp.example.com/cb", "https://app.example.net/cb?x=1"];
    const uri = sectorUri([...redirect_uris, "https://unrelated.example.org/cb"]);
    const { status, body } = await register({ subject_type: "pairwise", sector_identifier_uri: uri, redirect_uris });
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ subject_type: "pairwise", sector_identifier_uri: uri, redirect_uris });
  });

  it.each<[string, () => string]>([
    ["a document missing a redirect URI (oidcc-registration-sector-bad)", () => sectorUri(["https://other.example.com/cb"])],
    ["a JSON object instead of an array", () => sectorUri({ redirect_uris: ["https://rp.example.com/cb"] })],
    ["an array holding a non-string", () => sectorUri(["https://rp.example.com/cb", 5])],
    ["a document that is not JSON", () => sectorUri("https://rp.example.com/cb", { type: "text/plain" })],
    ["a 404", () => sectorUri(["https://rp.example.com/cb"], { status: "404" })],
    ["a redirect (never followed)", () => `${docs}/redirect?${new URLSearchParams({ to: sectorUri(["https://rp.example.com/cb"]) })}`],
    ["a document over 64 KiB", () => `${docs}/big?bytes=100000`],
    ["a host nobody listens on", () => "http://127.0.0.1:9/sector.json"],
    ["a non-loopback http URL", () => "http://sector.example.com/redirect_uris.json"],
    ["not a URL", () => "sector.json"],
  ])("refuses %s with invalid_client_metadata", async (_, uri) => {
    const { status, body } = await register({ subject_type: "pairwise", sector_identifier_uri: uri() });
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.error).toBe("invalid_client_metadata");
    expect(typeof body.error_description).toBe("string");
  });

  it("checks a sector_identifier_uri of a public client too (OIDC DCR §5)", async () => {
    const { status, body } = await register({ sector_identifier_uri: sectorUri(["https://other.example.com/cb"]) });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_client_metadata");
  });

  it("without sector_identifier_uri needs the redirect URIs on one host", async () => {
    const several = await register({ subject_type: "pairwise", redirect_uris: ["https://a.example.com/cb", "https://b.example.com/cb"] });
    expect(several.status).toBe(400);
    expect(several.body.error).toBe("invalid_client_metadata");
    const one = await register({ subject_type: "pairwise", redirect_uris: ["https://a.example.com/cb", "https://a.example.com/other"] });
    expect(one.status, JSON.stringify(one.body)).toBe(201);
  });

  it("refuses an unknown subject_type", async () => {
    const { status, body } = await register({ subject_type: "anonymous" });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_client_metadata");
  });

  it("re-checks the sector on an RFC 7592 update", async () => {
    const { body: client } = await register({ subject_type: "pairwise" });
    const put = (sector_identifier_uri: string) =>
      op(`/register/${client.client_id}`, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization: `Bearer ${client.registration_access_token}` },
        body: JSON.stringify({ client_id: client.client_id, redirect_uris: client.redirect_uris, subject_type: "pairwise", sector_identifier_uri }),
      });
    const bad = await put(sectorUri(["https://elsewhere.example.com/cb"]));
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: string }>()).error).toBe("invalid_client_metadata");
    const good = await put(sectorUri(client.redirect_uris));
    expect(good.status, await good.clone().text()).toBe(200);
  });
});

describe("initiate_login_uri (OIDC DCR §2)", () => {
  it("is stored and returned when https", async () => {
    const { status, body } = await register({ initiate_login_uri: "https://rp.example.com/login?from=op" });
    expect(status).toBe(201);
    expect(body.initiate_login_uri).toBe("https://rp.example.com/login?from=op");
    const read = await op(`/register/${body.client_id}`, { headers: { authorization: `Bearer ${body.registration_access_token}` } });
    expect((await read.json<Record<string, unknown>>()).initiate_login_uri).toBe("https://rp.example.com/login?from=op");
  });

  it("third-party-initiated login end to end (OIDC Core §4, initiateLoginUrl): initiator → initiate_login_uri → the RP's request with login_hint → a login prefilled for that user", async () => {
    const { body } = await register({ initiate_login_uri: "https://rp.example.com/login" });
    const client = body as RegisteredClient;
    // The initiator (a portal, or the OP's own pages) sends the browser to the client with the issuer and a hint.
    const initiation = new URL(
      initiateLoginUrl(body.initiate_login_uri, { issuer: ISSUER, loginHint: "alice", targetLinkUri: "https://rp.example.com/reports" })!,
    );
    expect(initiation.origin + initiation.pathname).toBe("https://rp.example.com/login");
    // The RP: iss must be an OP it knows (its discovery issuer), target_link_uri on its own origin; then it starts an ordinary request.
    const discovery = await (await op("/.well-known/openid-configuration")).json<{ issuer: string }>();
    expect(initiation.searchParams.get("iss")).toBe(discovery.issuer);
    expect(new URL(initiation.searchParams.get("target_link_uri")!).origin).toBe("https://rp.example.com");
    const loginHint = initiation.searchParams.get("login_hint")!;
    const browser = new Browser();
    const { params } = await codeRequestParams(client.redirect_uris[0]!, { login_hint: loginHint });
    expect(await navigateTo(browser, `/authorize?${new URLSearchParams({ client_id: client.client_id, ...params })}`)).toMatch(
      /id="username"[^>]*value="alice"/,
    );
    const done = await authorize(browser, client, { params: { login_hint: loginHint } });
    expect(done.seen).toEqual(["login", "consent"]);
    const tokens = await (await redeemCode(client, done.redirect!.searchParams.get("code")!, done.verifier)).json<{ id_token: string }>();
    expect(decodeJwt(tokens.id_token).sub).toMatch(PUBLIC_SUB);
  });

  it.each(["http://rp.example.com/login", "http://localhost:3000/login", "not a url", "javascript:alert(1)", 5])("refuses %s", async (value) => {
    const { status, body } = await register({ initiate_login_uri: value });
    expect(status).toBe(400);
    expect(body.error).toBe("invalid_client_metadata");
  });
});

describe("pairwise subjects", () => {
  const grants = ["authorization_code", "refresh_token"];
  let sector: string;
  let publicFlow: Awaited<ReturnType<typeof completeFlow>>;
  beforeAll(async () => {
    // One sector document (its host, 127.0.0.1, is the sector) listing two apps on different hosts.
    sector = sectorUri(["https://rp.example.com/cb", "https://app.example.net/cb"]);
    publicFlow = await completeFlow();
  });

  // offline_access is only granted on a consent page (prompt=consent, OIDC Core §11).
  const flow = (metadata: Record<string, unknown>, scope = "openid") =>
    completeFlow({ grant_types: grants, ...metadata }, { params: { scope, ...(scope.includes("offline_access") ? { prompt: "consent" } : {}) } });

  it("differ between sectors, stay stable across clients of one sector, and never equal the public sub", async () => {
    const publicSub = decodeJwt(publicFlow.tokens.id_token).sub;
    expect(publicSub).toMatch(PUBLIC_SUB);
    const a = await flow({ subject_type: "pairwise", sector_identifier_uri: sector, redirect_uris: ["https://rp.example.com/cb"] });
    const b = await flow({ subject_type: "pairwise", sector_identifier_uri: sector, redirect_uris: ["https://app.example.net/cb"] });
    const c = await flow({ subject_type: "pairwise", redirect_uris: ["https://rp.example.com/cb"] }); // sector rp.example.com
    const d = await flow({ subject_type: "pairwise", redirect_uris: ["https://rp.example.com/other"] }); // the same sector
    const e = await flow({ subject_type: "pairwise", redirect_uris: ["https://shop.example.org/cb"] });
    const sub = (f: typeof a) => decodeJwt(f.tokens.id_token).sub as string;
    expect(sub(a)).toBe(sub(b));
    expect(sub(c)).toBe(sub(d));
    expect(new Set([publicSub, sub(a), sub(c), sub(e)]).size).toBe(4);
    for (const s of [sub(a), sub(c), sub(e)]) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(s).not.toContain(publicSub);
    }
    // Stable over time: a second login for the same client gives the same sub.
    const again = await authorize(a.browser, a.client);
    const tokens = await (await redeemCode(a.client, again.redirect!.searchParams.get("code")!, again.verifier)).json<{ id_token: string }>();
    expect(decodeJwt(tokens.id_token).sub).toBe(sub(a));
  });

  it("is the same in the ID token, the access token, userinfo, introspection and refreshed tokens", async () => {
    const f = await flow({ subject_type: "pairwise", sector_identifier_uri: sector }, "openid email offline_access");
    const sub = decodeJwt(f.tokens.id_token).sub;
    expect(sub).not.toMatch(PUBLIC_SUB);
    expect(decodeJwt(f.tokens.access_token).sub).toBe(sub);

    const userinfo = await op("/userinfo", { headers: { authorization: `Bearer ${f.tokens.access_token}` } });
    expect(userinfo.status, await userinfo.clone().text()).toBe(200);
    expect(await userinfo.json()).toMatchObject({ sub, email: expect.any(String) });

    const introspect = (token: string) =>
      op("/introspect", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(f.client.client_id, f.client.client_secret!) },
        body: new URLSearchParams({ token }),
      }).then((r) => r.json<Record<string, unknown>>());
    expect(await introspect(f.tokens.access_token)).toMatchObject({ active: true, sub });
    expect(f.tokens.refresh_token).toBeTruthy();
    expect(await introspect(f.tokens.refresh_token)).toMatchObject({ active: true, sub, token_type: "refresh_token" });

    const refreshed = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(f.client.client_id, f.client.client_secret!) },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: f.tokens.refresh_token }),
    });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
    const r = await refreshed.json<Record<string, string>>();
    expect(decodeJwt(r.id_token!).sub).toBe(sub);
    expect(decodeJwt(r.access_token!).sub).toBe(sub);
  });

  it("is in ID tokens from the authorization endpoint (implicit and hybrid)", async () => {
    const client = await registerClient({
      subject_type: "pairwise",
      sector_identifier_uri: sector,
      grant_types: ["authorization_code", "implicit"],
      response_types: ["code", "id_token", "code id_token"],
    });
    const code = await completeFlow({ subject_type: "pairwise", sector_identifier_uri: sector });
    const browser = new Browser();
    const res = await authorize(browser, client, { params: { response_type: "code id_token" } });
    const fragment = new URLSearchParams(res.redirect!.hash.slice(1));
    const front = decodeJwt(fragment.get("id_token")!).sub;
    expect(front).toBe(decodeJwt(code.tokens.id_token).sub);
    const back = await (await redeemCode(client as RegisteredClient, fragment.get("code")!, res.verifier)).json<{ id_token: string }>();
    expect(decodeJwt(back.id_token).sub).toBe(front);
  });

  it("an id_token_hint carrying the pairwise sub lets prompt=none through; another client's hint does not match", async () => {
    const f = await flow({ subject_type: "pairwise", redirect_uris: ["https://hint.example.com/cb"] });
    const ok = await authorize(f.browser, f.client, { params: { prompt: "none", id_token_hint: f.tokens.id_token } });
    expect(ok.redirect!.searchParams.get("error")).toBeNull();
    expect(ok.redirect!.searchParams.get("code")).toBeTruthy();
    // A claims request pinning the pairwise sub is satisfied too (OIDC Core §5.5.1).
    const pinned = await authorize(f.browser, f.client, {
      params: { prompt: "none", claims: JSON.stringify({ id_token: { sub: { value: decodeJwt(f.tokens.id_token).sub } } }) },
    });
    expect(pinned.redirect!.searchParams.get("code")).toBeTruthy();
    // The public sub is not the user as this client knows them: prompt=none must fail rather than silently match.
    const publicSub = decodeJwt(publicFlow.tokens.id_token).sub;
    const wrong = await authorize(f.browser, f.client, { params: { prompt: "none", claims: JSON.stringify({ id_token: { sub: { value: publicSub } } }) } });
    expect(wrong.redirect!.searchParams.get("error")).toBe("login_required");
  });

  it("logout accepts an id_token_hint with the pairwise sub without asking", async () => {
    const f = await flow({
      subject_type: "pairwise",
      redirect_uris: ["https://bye.example.com/cb"],
      post_logout_redirect_uris: ["https://bye.example.com/done"],
    });
    const res = await f.browser.fetch(
      `/session/end?${new URLSearchParams({ id_token_hint: f.tokens.id_token, post_logout_redirect_uri: "https://bye.example.com/done", state: "s1" })}`,
    );
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get("location")).toBe("https://bye.example.com/done?state=s1");
    // The session is gone: prompt=none now needs a login.
    const after = await authorize(f.browser, f.client, { params: { prompt: "none" } });
    expect(after.redirect!.searchParams.get("error")).toBe("login_required");
  });

  it("token exchange names the user as the exchanging client sees them", async () => {
    const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    const f = await flow({
      subject_type: "pairwise",
      redirect_uris: ["https://te.example.com/cb"],
      grant_types: ["authorization_code", TOKEN_EXCHANGE],
    });
    await grantClient(f.client.client_id, { token_exchange: ["test-downstream"] });
    const res = await op("/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(f.client.client_id, f.client.client_secret!) },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: f.tokens.access_token,
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
        resource: "https://downstream.example.com/",
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(decodeJwt((await res.json<{ access_token: string }>()).access_token).sub).toBe(decodeJwt(f.tokens.id_token).sub);
  });
});
