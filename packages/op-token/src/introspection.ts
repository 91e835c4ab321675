import { type Client, getConfig, invalidRequest } from "@op/core";
import { json, type OpContext, provedPossession } from "@op/http";
import { dpopTokenType, subjectFor } from "@op/rules";
import { type Env, resourceRegistry } from "@op/storage";
import { signJwt } from "@op/tokens";
import { type ActiveToken, lookupActiveToken, tokenVisibleTo } from "./token-lookup";

const JWT_RESPONSE_TYPE = "application/token-introspection+jwt";

/**
 * RFC 7662 token introspection, with RFC 9701 JWT responses on request: for the token's own
 * client, and for registered resource servers (their `client_ids`) for tokens whose audience
 * they are (§2.1), which is what API gateways and mod_auth_openidc-style resource servers need.
 */
export async function introspectionEndpoint(c: OpContext): Promise<Response> {
  const { env } = c;
  const request = c.req.raw;
  const { params } = c.get("form");
  const client = c.get("client");
  if (!params.token) throw invalidRequest("token is required");
  const found = params.token.length <= 8192 ? await lookupActiveToken(env, params.token, params.token_type_hint) : null;
  // RFC 7662 §2.1-2.2: anything unknown, expired, revoked, or neither the caller's nor for a
  // resource server whose own client the caller is, is simply inactive.
  const visible = found !== null && (found.grant.clientId === client.client_id || tokenVisibleTo(found, client.client_id, await resourceRegistry(env)));
  if (visible) provedPossession(c); // an active token the caller may see: not a stranger's guess
  const body = visible ? await describe(env, client, found) : { active: false };
  if (wantsJwt(request)) return jwtResponse(env, client, body);
  return json(body);
}

/**
 * An access token's claims already carry the sub its client sees, and its binding (`cnf`); RFC
 * 9449 §6.2: a DPoP-bound one is of token_type DPoP. A refresh token is only its own client's
 * (tokenVisibleTo), with `cnf.jkt` when a public client's family is bound to a DPoP key (§5).
 */
async function describe(env: Env, client: Client, t: ActiveToken): Promise<Record<string, unknown>> {
  const iss = getConfig(env).issuer;
  if (t.kind === "access_token") {
    const { gid: _gid, ...claims } = t.claims;
    return { active: true, ...claims, token_type: dpopTokenType(claims.cnf?.jkt) };
  }
  return {
    active: true,
    iss,
    sub: await subjectFor(client, t.grant.sub, getConfig(env)),
    client_id: t.grant.clientId,
    scope: t.grant.scope,
    iat: Math.floor(t.issuedAt / 1000),
    exp: Math.floor(t.grant.expiresAt / 1000),
    token_type: "refresh_token",
    ...(t.grant.refreshJkt ? { cnf: { jkt: t.grant.refreshJkt } } : {}),
  };
}

function wantsJwt(request: Request): boolean {
  return (request.headers.get("accept") ?? "").split(",").some((t) => t.trim().split(";")[0]!.toLowerCase() === JWT_RESPONSE_TYPE);
}

/** RFC 9701 §5: a signed JWT whose token_introspection member is the RFC 7662 response. */
async function jwtResponse(env: Env, client: Client, body: Record<string, unknown>): Promise<Response> {
  const jwt = await signJwt(
    env,
    "RS256",
    { iss: getConfig(env).issuer, aud: client.client_id, iat: Math.floor(Date.now() / 1000), token_introspection: body },
    "token-introspection+jwt",
  );
  return new Response(jwt, { headers: { "Content-Type": JWT_RESPONSE_TYPE, "Cache-Control": "no-store", Pragma: "no-cache" } });
}
