import { type Client, invalidRequest, isPublicClient, unsupportedTokenType } from "@op/core";
import { NO_STORE, type OpContext, provedPossession } from "@op/http";
import { refreshBindingRefusal } from "@op/rules";
import { grantObject } from "@op/storage";
import { type ActiveToken, lookupActiveToken } from "./token-lookup";

/**
 * RFC 9449 §5: a public client's DPoP-bound token is the key holder's: revoking it takes a proof
 * by that key, as using it does, so someone who only stole the token cannot revoke it either
 * (the answer is the same 200). A confidential client's credentials already prove it is the client.
 */
function holdsBindingKey(client: Client, token: ActiveToken, proofJkt: string | undefined): boolean {
  if (!isPublicClient(client)) return true;
  const bound = token.kind === "access_token" ? token.claims.cnf?.jkt : token.grant.refreshJkt;
  return refreshBindingRefusal(bound, proofJkt) === undefined;
}

/**
 * RFC 7009 token revocation. A refresh token revokes its whole family (and so every access
 * token of the grant); an access token is revoked alone, by a record in its grant's object that
 * userinfo and introspection check. Only the token's own client may revoke it; any other
 * outcome is the same 200, so the endpoint reveals nothing (§2.2).
 */
export async function revocationEndpoint(c: OpContext): Promise<Response> {
  const { params } = c.get("form");
  const client = c.get("client");
  if (!params.token) throw invalidRequest("token is required");
  if (params.token_type_hint && !["access_token", "refresh_token"].includes(params.token_type_hint)) {
    throw unsupportedTokenType(`token_type_hint ${params.token_type_hint} is not supported`);
  }
  const lookedUp = params.token.length <= 8192 ? await lookupActiveToken(c.env, params.token, params.token_type_hint) : null;
  const found = lookedUp && holdsBindingKey(client, lookedUp, c.get("dpop")?.jkt) ? lookedUp : null;
  let revoked = false;
  if (found?.kind === "refresh_token") revoked = await grantObject(c.env, found.grantId).revokeRefreshToken(found.secret, client.client_id);
  if (found?.kind === "access_token") revoked = await grantObject(c.env, found.claims.gid).revokeAccessToken(found.claims.jti, client.client_id);
  if (revoked) provedPossession(c); // the client held its own token: only then does a public client's request spend its budget
  return new Response(null, { status: 200, headers: NO_STORE });
}
