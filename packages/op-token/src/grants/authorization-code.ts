import { type AuthorizationCodeRecord, invalidGrant, invalidRequest, invalidTarget } from "@op/core";
import { narrowResources, refreshTokenJkt, s256Of } from "@op/rules";
import { type CodeRedemption, grantIdOfCode, grantObject } from "@op/storage";
import type { GrantContext, TokenResponse } from "./context";
import { accessAndIdToken } from "./issue-tokens";

/** RFC 6749 §4.1.3: redeem an authorization code. */
export async function authorizationCodeGrant({ env, client, params, resources, registry, boundThumbprint, dpopJkt }: GrantContext): Promise<TokenResponse> {
  const code = requireCode(params.code);
  const { record, refreshToken } = await redeemAuthorizationCode(env, code, {
    clientId: client.client_id,
    grantTypes: client.grant_types,
    redirectUri: params.redirect_uri,
    codeVerifier: params.code_verifier,
    codeVerifierS256: await s256Of(params.code_verifier),
    resources,
    dpopJkt,
    refreshJkt: refreshTokenJkt(client, dpopJkt),
  });
  const {
    grantId,
    redirectUri,
    redirectUriSent,
    codeChallenge,
    codeChallengeMethod,
    issuedAt,
    expiresAt,
    dpopJkt: _codeJkt,
    responseType,
    ...authorization
  } = record;
  const omitAtHash = responseType.split(" ").includes("token");
  const tokens = await accessAndIdToken(
    env,
    client,
    { ...authorization, grantId, certificateThumbprint: boundThumbprint, dpopJkt, omitAtHash },
    { registry, resources: narrowResources(record.resources, resources) },
  );
  return refreshToken ? { ...tokens, refresh_token: refreshToken } : tokens;
}

function requireCode(code: string | undefined): string {
  if (!code) throw invalidRequest("code is required");
  if (!/^[A-Za-z0-9_-]{43}$/.test(code)) throw invalidGrant("authorization code is invalid");
  return code;
}

/**
 * One atomic step in the Durable Object of the code's grant: redeem the code, check the
 * redirect URI (RFC 6749 §4.1.3), PKCE (RFC 7636 §4.6) and resources (RFC 8707 §2.2), and start
 * the grant. RFC 6749 §4.1.2: a replayed code is refused and everything issued from it is
 * revoked, in that same step.
 */
async function redeemAuthorizationCode(
  env: GrantContext["env"],
  code: string,
  redemption: CodeRedemption,
): Promise<{ record: AuthorizationCodeRecord; refreshToken?: string }> {
  const result = await grantObject(env, await grantIdOfCode(code)).redeemCode(redemption);
  switch (result.status) {
    case "ok":
      return { record: result.code, refreshToken: result.refreshToken };
    case "reused":
      throw invalidGrant("authorization code has already been used");
    case "expired":
      throw invalidGrant("authorization code has expired");
    case "revoked":
      throw invalidGrant("the session this authorization code was issued in has ended");
    case "refused":
      throw invalidGrant(result.description);
    case "invalid_target":
      throw invalidTarget(`resource ${result.resource} was not granted`);
    default:
      throw invalidGrant("authorization code is invalid");
  }
}
