import {
  authorizationCodeObject, getConfig, randomToken, sessionObject, type Env, type SessionRecord, type ValidatedAuthorizationRequest,
} from "@op/common";
import { authorizationResponse } from "./respond";

/**
 * Issues the authorization code (RFC 6749 §4.1.2): 256 random bits, stored in its own Durable
 * Object for at most AUTHORIZATION_CODE_TTL seconds, then redirects to the client.
 */
export async function issueAuthorizationCode(env: Env, req: ValidatedAuthorizationRequest, session: { key: string; record: SessionRecord }, clientRequiresAuthTime = false): Promise<Response> {
  const config = getConfig(env);
  const code = randomToken(32);
  const now = Date.now();
  await authorizationCodeObject(env, code).issue({
    grantId: randomToken(16),
    clientId: req.clientId,
    redirectUri: req.redirectUri,
    scope: req.scopes.join(" "),
    claims: req.claims,
    resources: req.resources,
    nonce: req.nonce,
    codeChallenge: req.codeChallenge,
    codeChallengeMethod: req.codeChallengeMethod,
    sub: session.record.sub,
    sid: session.record.sid,
    authTime: session.record.authTime,
    acr: session.record.acr,
    amr: session.record.amr,
    authTimeRequired: req.maxAge !== undefined || clientRequiresAuthTime,
    issuedAt: now,
    expiresAt: now + config.ttl.authorizationCode * 1000,
  });
  await sessionObject(env, session.key).addClient(req.clientId);
  return authorizationResponse(env, { redirectUri: req.redirectUri, responseMode: req.responseMode, state: req.state }, { code });
}
