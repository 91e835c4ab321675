import { base64url, grantIdOfCode, grantObject, invalidGrant, narrowResources, OAuthError, sha256, type AuthorizationCodeRecord } from "@op/common";
import type { GrantContext, TokenResponse } from "./context";
import { startGrant } from "./issue-tokens";

/** RFC 6749 §4.1.3: redeem an authorization code. */
export async function authorizationCodeGrant({ env, client, params, resources, boundThumbprint }: GrantContext): Promise<TokenResponse> {
  const code = requireCode(params.code);
  const record = await consumeAuthorizationCode(env, code, client.client_id);
  checkRedirectUri(record, params.redirect_uri);
  await verifyPkce(record, params.code_verifier);
  const { grantId, redirectUri, codeChallenge, codeChallengeMethod, issuedAt, expiresAt, dpopJkt, responseType, ...authorization } = record;
  const omitAtHash = responseType.split(" ").includes("token");
  return startGrant(env, client, { ...authorization, grantId, certificateThumbprint: boundThumbprint, omitAtHash }, narrowResources(record.resources, resources));
}

function requireCode(code: string | undefined): string {
  if (!code) throw new OAuthError("invalid_request", "code is required");
  if (!/^[A-Za-z0-9_-]{43}$/.test(code)) throw invalidGrant("authorization code is invalid");
  return code;
}

/**
 * One atomic redemption in the Durable Object of the code's grant. RFC 6749 §4.1.2: a replayed
 * code is refused and everything issued from it is revoked, in that same step.
 */
async function consumeAuthorizationCode(env: GrantContext["env"], code: string, clientId: string): Promise<AuthorizationCodeRecord> {
  const result = await grantObject(env, await grantIdOfCode(code)).redeemCode(clientId);
  switch (result.status) {
    case "ok":
      return result.record;
    case "reused":
      throw invalidGrant("authorization code has already been used");
    case "expired":
      throw invalidGrant("authorization code has expired");
    default:
      throw invalidGrant("authorization code is invalid");
  }
}

/** RFC 6749 §4.1.3: redirect_uri must be identical to the one in the authorization request. */
function checkRedirectUri(record: AuthorizationCodeRecord, redirectUri: string | undefined) {
  if (redirectUri !== record.redirectUri) throw invalidGrant("redirect_uri does not match the authorization request");
}

/** RFC 7636 §4.6; RFC 9700 §2.1.1: a verifier without a challenge is refused too (PKCE downgrade). */
async function verifyPkce(record: AuthorizationCodeRecord, verifier: string | undefined) {
  if (!record.codeChallenge) {
    if (verifier !== undefined) throw invalidGrant("code_verifier sent but no code_challenge was in the authorization request");
    return;
  }
  if (!verifier) throw invalidGrant("code_verifier is required");
  if (!/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw invalidGrant("code_verifier is malformed");
  const computed = record.codeChallengeMethod === "plain" ? verifier : base64url(await sha256(verifier));
  if (computed !== record.codeChallenge) throw invalidGrant("code_verifier does not match code_challenge");
}
