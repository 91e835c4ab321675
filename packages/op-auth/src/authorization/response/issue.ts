import { type Client, type GrantedAuthorization, getConfig, randomToken, type SessionRecord, type ValidatedAuthorizationRequest } from "@op/core";
import { rpOrigin, sessionState } from "@op/rules";
import { type Env, grantIdOfCode, grantObject, sessionObject, userBySub } from "@op/storage";
import { issueAccessToken, issueIdToken } from "@op/tokens";
import { targetOf } from "../context";
import { authorizationResponse } from "./respond";

/**
 * The successful authorization response (RFC 6749 §4.1.2, OIDC Core §3.2.2.5, §3.3.2.5): each
 * word of the response type adds its artifact. Everything shares one grant, so a replayed
 * code revokes the access token a hybrid response already delivered.
 */
export async function issueAuthorizationResponse(
  env: Env,
  client: Client,
  req: ValidatedAuthorizationRequest,
  session: { key: string; record: SessionRecord },
): Promise<Response> {
  const words = new Set(req.responseType.split(" "));
  // RFC 6749 §4.1.2: 256 random bits. The grant that holds the code is named after it.
  const code = words.has("code") ? randomToken(32) : undefined;
  const grantId = code ? await grantIdOfCode(code) : randomToken(16);
  const authorization: GrantedAuthorization = {
    clientId: req.clientId,
    scope: req.scopes.join(" "),
    claims: req.claims,
    nonce: req.nonce,
    resources: req.resources,
    sub: session.record.sub,
    sid: session.record.sid,
    authTime: session.record.authTime,
    acr: session.record.acr,
    amr: session.record.amr,
    authTimeRequired: req.maxAge !== undefined || client.require_auth_time === true,
  };
  const params: Record<string, string> = {};
  if (code) params.code = await holdCode(env, code, req, authorization, grantId);
  if (words.has("token")) Object.assign(params, await issueImplicitAccessToken(env, client, authorization, grantId));
  if (words.has("id_token")) {
    params.id_token = await issueIdToken(env, {
      client,
      authorization,
      user: (await userBySub(env, session.record.sub)?.profile())?.claims ?? {},
      // OIDC Core §5.4: scope claims ride in the ID token when no access token is issued, else as the client's setting says.
      accessTokenIssued: req.responseType !== "id_token",
      accessToken: params.access_token,
      code: params.code,
      state: req.state,
    });
  }
  // For logout: the client is told, and this grant revoked unless it holds offline_access.
  await sessionObject(env, session.key).addClient(req.clientId, grantId);
  const state = await sessionStateFor(req, session.record);
  if (state) params.session_state = state;
  return authorizationResponse(env, targetOf(req, client), params);
}

/**
 * OIDC Session Management §2-§3: an OpenID authentication response carries session_state, the
 * salted hash of the client, its origin (the redirect URI's) and the OP browser state, which the
 * client then checks with check_session_iframe.
 */
async function sessionStateFor(req: ValidatedAuthorizationRequest, session: SessionRecord): Promise<string | undefined> {
  const origin = rpOrigin(req.redirectUri);
  if (!req.scopes.includes("openid") || !session.browserState || !origin) return undefined;
  return sessionState({ clientId: req.clientId, origin, browserState: session.browserState, salt: randomToken(16) });
}

/** The code waits in its grant's Durable Object for at most AUTHORIZATION_CODE_TTL. */
async function holdCode(env: Env, code: string, req: ValidatedAuthorizationRequest, authorization: GrantedAuthorization, grantId: string): Promise<string> {
  const now = Date.now();
  await grantObject(env, grantId).holdCode({
    ...authorization,
    grantId,
    responseType: req.responseType,
    redirectUri: req.redirectUri,
    codeChallenge: req.codeChallenge,
    codeChallengeMethod: req.codeChallengeMethod,
    dpopJkt: req.dpopJkt,
    issuedAt: now,
    expiresAt: now + getConfig(env).ttl.authorizationCode * 1000,
  });
  return code;
}

/** OIDC Core §3.2.2.5: an access token from the authorization endpoint (no refresh token, ever). */
async function issueImplicitAccessToken(env: Env, client: Client, authorization: GrantedAuthorization, grantId: string) {
  const now = Date.now();
  const ttl = getConfig(env).ttl.accessToken;
  await grantObject(env, grantId).activate({ ...authorization, grantId, createdAt: now, expiresAt: now + ttl * 1000, offline: false });
  const at = await issueAccessToken(env, { ...authorization, grantId, client });
  return { access_token: at.token, token_type: "Bearer", expires_in: String(at.expiresIn) };
}
