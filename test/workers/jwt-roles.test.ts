import { env } from "cloudflare:workers";
import { invalidClient, OAuthError } from "@op/core";
import { freshClient } from "@op/storage";
import {
  carriesAuthorizationRequest,
  checkJwtRole,
  issueLogoutToken,
  JWT_ROLES,
  type JwtRole,
  jwtRoleRefusal,
  marksClientAssertion,
  marksDpopProof,
  marksIdToken,
  marksIntrospectionResponse,
  marksJarmResponse,
  marksLogoutToken,
  marksRequestObject,
  missingClaims,
  normalizedTyp,
  rolesMarkedByClaims,
  typedRole,
} from "@op/tokens";
import { type CryptoKey, type JWK, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { authorize, Browser, codeRequestParams, decodeJwt, grantClient, ISSUER, op, type RegisteredClient, registerClient, requestObjectKey } from "./helpers";

/**
 * RFC 8725 §3.11-3.12, RFC 9101 §10.8: every JWT the OP accepts is accepted only in its own role.
 * One JWT of each kind is presented at every acceptance point; each cross-role presentation is
 * refused with that point's error, each own-role presentation accepted. The client-made kinds are
 * signed with the one key the client registered (the worst case: the same key signs them all) and
 * carry every claim the other roles ask for, so only their role marks can tell them apart.
 */
const REDIRECT = "https://rp.example.com/cb";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const AT_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const ID_TYPE = "urn:ietf:params:oauth:token-type:id_token";
const API = "https://api.example.com/";
const now = () => Math.floor(Date.now() / 1000);

let key: CryptoKey;
let publicJwk: JWK;
let rp: RegisteredClient;
/** Tokens the OP issued to rp for alice: from one JARM code flow, its userinfo and introspection responses. */
const issued: Record<"idToken" | "accessToken" | "jarm" | "userinfo" | "introspection", string> = {} as never;

const signAs = (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "k1", ...header }).sign(key);

/** RFC 7523 §3 / OIDC Core §9: what every client-made kind below carries (so it would pass as an assertion). */
const assertionClaims = (extra: Record<string, unknown> = {}) => ({
  iss: rp.client_id,
  sub: rp.client_id,
  aud: ISSUER,
  iat: now(),
  exp: now() + 120,
  jti: crypto.randomUUID(),
  ...extra,
});

/** aud the issuer (RFC 7523 §3 allows it), which a request object's aud is too. */
const clientAssertion = (header: Record<string, unknown> = {}) => signAs(assertionClaims(), header);

/** RFC 9101 §4: a signed request object for rp; `extra` adds claims (the issue's had sub = client_id). */
async function requestObject(extra: Record<string, unknown> = {}) {
  const { params } = await codeRequestParams(REDIRECT);
  return signAs(
    { iss: rp.client_id, aud: ISSUER, client_id: rp.client_id, ...params, iat: now(), exp: now() + 120, jti: crypto.randomUUID(), ...extra },
    {
      typ: "oauth-authz-req+jwt",
    },
  );
}

const form = (body: Record<string, string>, headers: Record<string, string> = {}): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(body),
});
/** rp authenticated with a fresh client assertion of its own. */
const asRp = async (body: Record<string, string>) => ({ ...body, client_assertion_type: ASSERTION_TYPE, client_assertion: await clientAssertion() });

interface Outcome {
  accepted: boolean;
  error?: string;
}
const tokenOutcome = async (res: Response): Promise<Outcome> => {
  const body = await res.json<Record<string, string>>();
  return res.status === 200 ? { accepted: true } : { accepted: false, error: body.error };
};
/** The first response to an authorization request: an error sent to rp, an error page, or on to the login page. */
const authorizeOutcome = async (params: Record<string, string>): Promise<Outcome> => {
  const res = await new Browser().fetch(`/authorize?${new URLSearchParams(params)}`);
  const location = res.headers.get("location") ?? "";
  if (location.startsWith(REDIRECT)) return { accepted: false, error: new URL(location).searchParams.get("error") ?? "" };
  if (res.status >= 400) return { accepted: false, error: "page" };
  return { accepted: true };
};

/** Each acceptance point of the OP: where a JWT of one role goes in, and the error a refusal carries. */
const ROLES: Record<string, { error: string; present: (jwt: string) => Promise<Outcome> }> = {
  client_assertion: {
    error: "invalid_client",
    present: async (jwt) =>
      tokenOutcome(await op("/token", form({ grant_type: "client_credentials", client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }))),
  },
  jwt_bearer_assertion: {
    error: "invalid_grant",
    present: async (jwt) => tokenOutcome(await op("/token", form(await asRp({ grant_type: JWT_BEARER, assertion: jwt })))),
  },
  request_object: {
    error: "invalid_request_object",
    present: (jwt) => authorizeOutcome({ client_id: rp.client_id, response_type: "code", scope: "openid", request: jwt }),
  },
  id_token_hint: {
    error: "invalid_request",
    present: async (jwt) => authorizeOutcome({ client_id: rp.client_id, ...(await codeRequestParams(REDIRECT)).params, id_token_hint: jwt }),
  },
  logout_id_token_hint: {
    error: "page",
    present: async (jwt) => {
      const res = await new Browser().fetch(`/session/end?${new URLSearchParams({ id_token_hint: jwt })}`);
      return res.status === 400 ? { accepted: false, error: "page" } : { accepted: res.status === 200 || res.status === 303 };
    },
  },
  actor_token: {
    error: "invalid_grant",
    present: async (jwt) =>
      tokenOutcome(
        await op(
          "/token",
          form(
            await asRp({
              grant_type: TOKEN_EXCHANGE,
              subject_token: issued.accessToken,
              subject_token_type: AT_TYPE,
              actor_token: jwt,
              actor_token_type: ID_TYPE,
              resource: API,
            }),
          ),
        ),
      ),
  },
  subject_token: {
    error: "invalid_grant",
    present: async (jwt) =>
      tokenOutcome(await op("/token", form(await asRp({ grant_type: TOKEN_EXCHANGE, subject_token: jwt, subject_token_type: AT_TYPE, resource: API })))),
  },
  userinfo_access_token: {
    error: "invalid_token",
    present: async (jwt) => {
      const res = await op("/userinfo", { headers: { authorization: `Bearer ${jwt}` } });
      if (res.status === 200) return { accepted: true };
      return { accepted: false, error: /error="([^"]+)"/.exec(res.headers.get("www-authenticate") ?? "")?.[1] };
    },
  },
  introspected_token: {
    error: "inactive",
    present: async (jwt) => {
      const body = await (await op("/introspect", form(await asRp({ token: jwt })))).json<{ active: boolean }>();
      return body.active ? { accepted: true } : { accepted: false, error: "inactive" };
    },
  },
};
type Role = keyof typeof ROLES;

/** One JWT of each kind (made afresh for each presentation, as single-use ids are claimed), and the roles it may play. */
const KINDS: Record<string, { make: () => Promise<string>; roles: Role[] }> = {
  // The issue's: a request object whose sub is the client_id (RFC 9101 §10.8 says a client never does that).
  "request object (sub = client_id)": { make: () => requestObject({ sub: rp.client_id }), roles: [] },
  "request object": { make: () => requestObject(), roles: ["request_object"] },
  "request object, untyped": { make: async () => signAs(decodeJwt(await requestObject({ sub: rp.client_id }))), roles: [] },
  "client assertion, typed (rfc7523bis)": { make: () => clientAssertion({ typ: "client-authentication+jwt" }), roles: ["client_assertion"] },
  // RFC 7523 §2.1 and §2.2 are one JWT profile: untyped, a self-assertion is both (replays are refused below).
  "client assertion": { make: () => clientAssertion(), roles: ["client_assertion", "jwt_bearer_assertion"] },
  "JWT bearer assertion": { make: () => signAs(assertionClaims({ aud: `${ISSUER}/token` })), roles: ["client_assertion", "jwt_bearer_assertion"] },
  "DPoP proof": {
    make: () => signAs(assertionClaims({ htm: "POST", htu: `${ISSUER}/token` }), { typ: "dpop+jwt", jwk: publicJwk }),
    roles: [],
  },
  "ID token": { make: async () => issued.idToken, roles: ["id_token_hint", "logout_id_token_hint", "actor_token"] },
  "access token": { make: async () => issued.accessToken, roles: ["subject_token", "userinfo_access_token", "introspected_token"] },
  "logout token": {
    // OIDC Back-Channel Logout §2.4: the one the OP sends to back-channel clients (issueLogoutToken), for the session of the ID token.
    make: async () => {
      const { sub, sid } = decodeJwt(issued.idToken);
      const client = await freshClient(env, rp.client_id);
      return issueLogoutToken(env, client!, { sub: sub as string, sid: sid as string });
    },
    roles: [],
  },
  "introspection response": { make: async () => issued.introspection, roles: [] },
  "JARM response": { make: async () => issued.jarm, roles: [] },
  "userinfo response": { make: async () => issued.userinfo, roles: [] },
};

beforeAll(async () => {
  ({ key, publicJwk } = await requestObjectKey());
  rp = await registerClient({
    redirect_uris: [REDIRECT],
    grant_types: ["authorization_code", "client_credentials", JWT_BEARER, TOKEN_EXCHANGE],
    token_endpoint_auth_method: "private_key_jwt",
    jwks: { keys: [publicJwk] },
    token_exchange_audiences: [API],
    userinfo_signed_response_alg: "RS256",
  });
  // What it may obtain without a user is the operator's to grant (docs/resources.md).
  await grantClient(rp.client_id, { client_credentials: [{ resource: "test-api", scopes: ["read"] }], token_exchange: ["test-api"] });
  const flow = await authorize(new Browser(), rp, { params: { response_mode: "jwt", scope: "openid email" } });
  issued.jarm = flow.redirect!.searchParams.get("response")!;
  const res = await op(
    "/token",
    form(await asRp({ grant_type: "authorization_code", code: decodeJwt(issued.jarm).code, redirect_uri: REDIRECT, code_verifier: flow.verifier })),
  );
  const tokens = await res.json<Record<string, string>>();
  expect(res.status, JSON.stringify(tokens)).toBe(200);
  issued.idToken = tokens.id_token!;
  issued.accessToken = tokens.access_token!;
  issued.userinfo = await (await op("/userinfo", { headers: { authorization: `Bearer ${issued.accessToken}` } })).text();
  expect(decodeJwt(issued.userinfo).sub).toBeTruthy();
  issued.introspection = await (
    await op("/introspect", form(await asRp({ token: issued.accessToken }), { accept: "application/token-introspection+jwt" }))
  ).text();
  expect(decodeJwt(issued.introspection).token_introspection).toMatchObject({ active: true });
});

describe("jwt-roles.ts: the roles, their typ values, required and marking claims", () => {
  const OP = ISSUER;
  const C = "client-1";
  const U = "a".repeat(64);
  const t = 1_700_000_000;
  const BCL = "http://schemas.openid.net/event/backchannel-logout";
  /** A typical JWT of each role, as its spec shapes it. */
  const SAMPLES: Record<JwtRole, [Record<string, unknown>, Record<string, unknown>]> = {
    access_token: [
      { alg: "ES256", typ: "at+jwt" },
      { iss: OP, sub: U, aud: OP, client_id: C, scope: "openid", iat: t, exp: t + 60, jti: "j", gid: "g" },
    ],
    id_token: [{ alg: "RS256" }, { iss: OP, sub: U, aud: C, exp: t + 60, iat: t, auth_time: t, nonce: "n", at_hash: "h", sid: "s" }],
    request_object: [
      { alg: "ES256", typ: "oauth-authz-req+jwt" },
      { iss: C, aud: OP, client_id: C, response_type: "code", redirect_uri: REDIRECT, scope: "openid", state: "s", nonce: "n", iat: t, exp: t + 60, jti: "j" },
    ],
    client_assertion: [{ alg: "RS256" }, { iss: C, sub: C, aud: `${OP}/token`, exp: t + 60, iat: t, jti: "j" }],
    jwt_bearer_assertion: [{ alg: "RS256" }, { iss: C, sub: U, aud: `${OP}/token`, exp: t + 60, iat: t, jti: "j" }],
    dpop_proof: [
      { alg: "ES256", typ: "dpop+jwt", jwk: { kty: "EC" } },
      { jti: "j", htm: "POST", htu: `${OP}/token`, iat: t },
    ],
    logout_token: [
      { alg: "RS256", typ: "logout+jwt" },
      { iss: OP, aud: C, iat: t, exp: t + 60, jti: "j", sub: U, sid: "s", events: { [BCL]: {} } },
    ],
    introspection_response: [
      { alg: "RS256", typ: "token-introspection+jwt" },
      { iss: OP, aud: C, iat: t, token_introspection: { active: true, sub: U } },
    ],
    jarm_response: [{ alg: "RS256" }, { iss: OP, aud: C, exp: t + 60, code: "c", state: "s" }],
    userinfo_response: [{ alg: "RS256" }, { sub: U, iss: OP, aud: C, email: "alice@example.com" }],
  };
  const roles = Object.keys(JWT_ROLES) as JwtRole[];

  it.each(roles)("a typical %s is accepted in its own role", (role) => {
    expect(jwtRoleRefusal(role, ...SAMPLES[role])).toBeUndefined();
  });

  // Among JWTs the same party signs (the same keys), only the claims and typ tell roles apart; across
  // parties, signature and issuer do (the in-runtime matrix below). RFC 7523's one profile is the exception.
  const sameSigner = roles.flatMap((role) =>
    roles.filter((kind) => kind !== role && JWT_ROLES[kind].signer === JWT_ROLES[role].signer).map((kind) => [kind, role] as const),
  );
  it.each(sameSigner)("a typical %s is refused as a %s", (kind, role) => {
    const refusal = jwtRoleRefusal(role, ...SAMPLES[kind]);
    if (kind === "client_assertion" && role === "jwt_bearer_assertion") expect(refusal).toBeUndefined();
    else expect(refusal).toEqual(expect.any(String));
  });

  it("RFC 7515 §4.1.9: typ is compared case-insensitively, application/ optional; JWT types nothing", () => {
    expect(normalizedTyp("application/AT+JWT")).toBe("at+jwt");
    expect(normalizedTyp(7)).toBeUndefined();
    expect(typedRole({})).toBe("untyped");
    expect(typedRole({ typ: "JWT" })).toBe("untyped");
    expect(typedRole({ typ: "application/jwt" })).toBe("untyped");
    expect(typedRole({ typ: "Application/OAuth-Authz-Req+JWT" })).toBe("request_object");
    expect(typedRole({ typ: "client-authentication+jwt" })).toBe("client_assertion");
    expect(typedRole({ typ: "secevent+jwt" })).toBeNull();
    expect(typedRole({ typ: 1 })).toBeNull();
  });

  it("RFC 8725 §3.11: refuses a JWT typed for another role, with no role's typ, or untyped where the role must be typed", () => {
    const [, assertion] = SAMPLES.client_assertion;
    expect(jwtRoleRefusal("client_assertion", { typ: "oauth-authz-req+jwt" }, assertion)).toBe("is typed for request objects (oauth-authz-req+jwt)");
    expect(jwtRoleRefusal("client_assertion", { typ: "foo+jwt" }, assertion)).toBe("has a typ of no role (foo+jwt)");
    expect(jwtRoleRefusal("client_assertion", { typ: "JWT" }, assertion)).toBeUndefined();
    expect(jwtRoleRefusal("client_assertion", { typ: "application/client-authentication+jwt" }, assertion)).toBeUndefined();
    expect(jwtRoleRefusal("jwt_bearer_assertion", { typ: "client-authentication+jwt" }, assertion)).toBe(
      "is typed for client assertions (client-authentication+jwt)",
    );
    expect(jwtRoleRefusal("access_token", { alg: "ES256" }, SAMPLES.access_token[1])).toBe("must be typed at+jwt");
    expect(jwtRoleRefusal("access_token", { typ: "application/at+jwt" }, SAMPLES.access_token[1])).toBeUndefined();
    expect(jwtRoleRefusal("dpop_proof", {}, SAMPLES.dpop_proof[1])).toBe("must be typed dpop+jwt");
  });

  it("refuses a JWT lacking the claims of its role", () => {
    expect(missingClaims("id_token", { iss: OP, sub: U, aud: C })).toEqual(["exp", "iat"]);
    expect(jwtRoleRefusal("id_token", {}, SAMPLES.userinfo_response[1])).toBe("lacks claims ID tokens require: exp, iat");
    expect(jwtRoleRefusal("client_assertion", {}, { ...SAMPLES.client_assertion[1], jti: undefined })).toBe("lacks claims client assertions require: jti");
    expect(jwtRoleRefusal("client_assertion", {}, SAMPLES.jwt_bearer_assertion[1])).toBe("must have iss and sub both the client_id");
    expect(jwtRoleRefusal("request_object", {}, { iss: C, aud: OP, exp: t, jti: "j" })).toBe("carries no authorization request parameter");
    expect(carriesAuthorizationRequest({ iss: C, aud: OP, nonce: "n" })).toBe(true);
  });

  it("RFC 8725 §3.12: the claims that mark each role", () => {
    expect(marksRequestObject({ redirect_uri: REDIRECT })).toBe(true);
    expect(marksRequestObject({ scope: "openid", state: "s", nonce: "n" })).toBe(false); // access tokens, JARM and ID tokens have these
    expect(marksClientAssertion({ iss: C, sub: C })).toBe(true);
    expect(marksClientAssertion({ iss: C, sub: U })).toBe(false);
    expect(marksIdToken({ c_hash: "h" })).toBe(true);
    expect(marksIdToken({ nonce: "n" })).toBe(false);
    expect(marksDpopProof({ htu: "https://x" })).toBe(true);
    expect(marksLogoutToken({ events: { [BCL]: {} } })).toBe(true);
    expect(marksLogoutToken({ events: { "https://example.com/other": {} } })).toBe(false);
    expect(marksIntrospectionResponse({ token_introspection: {} })).toBe(true);
    expect(marksJarmResponse({ error: "access_denied" })).toBe(true);
    expect(rolesMarkedByClaims({ iss: C, sub: C, htm: "POST", response_type: "code" }, "client_assertion")).toEqual(["request_object", "dpop_proof"]);
    // RFC 9101 §10.8: a request object with the client_id as sub would pass as a client assertion.
    expect(jwtRoleRefusal("request_object", {}, { ...SAMPLES.request_object[1], sub: C })).toBe("carries the claims of client assertions");
    expect(jwtRoleRefusal("id_token", {}, { ...SAMPLES.id_token[1], events: { [BCL]: {} } })).toBe("carries the claims of logout tokens");
    expect(jwtRoleRefusal("client_assertion", {}, { ...SAMPLES.client_assertion[1], response_type: "code", htu: "https://x" })).toBe(
      "carries the claims of request objects and DPoP proofs",
    );
  });

  it("checkJwtRole throws the acceptance point's error", () => {
    const thrown = (() => {
      try {
        checkJwtRole("client_assertion", { typ: "dpop+jwt" }, SAMPLES.client_assertion[1], invalidClient);
      } catch (err) {
        return err;
      }
    })();
    expect(thrown).toBeInstanceOf(OAuthError);
    expect(thrown).toMatchObject({ error: "invalid_client", message: "the client assertion is typed for DPoP proofs (dpop+jwt)" });
  });
});

describe("the role matrix: every kind of JWT at every acceptance point", () => {
  const cells = Object.entries(KINDS).flatMap(([kind, k]) => Object.keys(ROLES).map((role) => [kind, role, k.roles.includes(role)] as const));
  it.each(cells)("%s as %s: accepted %s", async (kind, role, own) => {
    const outcome = await ROLES[role]!.present(await KINDS[kind]!.make());
    expect(outcome).toEqual(own ? { accepted: true } : { accepted: false, error: ROLES[role]!.error });
  });
});

describe("replays across roles", () => {
  it("the issue's reproduction: a request object seen in a browser does not authenticate its client for client_credentials", async () => {
    const object = await requestObject({ sub: rp.client_id });
    await authorizeOutcome({ client_id: rp.client_id, response_type: "code", scope: "openid", request: object });
    const res = await op("/token", form({ grant_type: "client_credentials", client_assertion_type: ASSERTION_TYPE, client_assertion: object }));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: "invalid_client" });
  });

  it("a client assertion once used is not good again as a JWT bearer assertion, nor the other way round (one jti space per client)", async () => {
    const assertion = await clientAssertion();
    expect((await ROLES.client_assertion!.present(assertion)).accepted).toBe(true);
    expect(await ROLES.jwt_bearer_assertion!.present(assertion)).toEqual({ accepted: false, error: "invalid_grant" });
    const bearer = await clientAssertion();
    expect((await ROLES.jwt_bearer_assertion!.present(bearer)).accepted).toBe(true);
    expect(await ROLES.client_assertion!.present(bearer)).toEqual({ accepted: false, error: "invalid_client" });
  });

  it("a request object's jti, once claimed at /authorize, is not good again as a client assertion's", async () => {
    const jti = crypto.randomUUID();
    expect(await ROLES.request_object!.present(await requestObject({ jti }))).toEqual({ accepted: true });
    const sameJti = await signAs(assertionClaims({ aud: `${ISSUER}/token`, jti }));
    expect(await ROLES.client_assertion!.present(sameJti)).toEqual({ accepted: false, error: "invalid_client" });
  });

  it("one JWT cannot serve as both the client assertion and the JWT bearer assertion of one request", async () => {
    const jwt = await clientAssertion();
    const res = await op("/token", form({ grant_type: JWT_BEARER, assertion: jwt, client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "invalid_grant" });
  });
});
