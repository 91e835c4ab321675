import type { GrantRecord } from "@op/core";
import { type Registry, servesAudience } from "@op/rules";
import { type Env, grantObject, parseRefreshToken } from "@op/storage";
import { type AccessTokenClaims, audiencesOf, verifyAccessToken } from "@op/tokens";

export type ActiveToken =
  | { kind: "access_token"; claims: AccessTokenClaims; grant: GrantRecord }
  | { kind: "refresh_token"; grantId: string; secret: string; grant: GrantRecord; issuedAt: number };

/**
 * Finds what a presented token is and whether it is active: a JWT access token (signature,
 * lifetime, then its grant and revocation record) or a refresh token (its grant's current
 * member). `hint` (RFC 7009 §2.1 / RFC 7662 §2.1 token_type_hint) only orders the attempts.
 */
export async function lookupActiveToken(env: Env, token: string, hint?: string): Promise<ActiveToken | null> {
  const attempts = hint === "refresh_token" ? [asRefreshToken, asAccessToken] : [asAccessToken, asRefreshToken];
  for (const attempt of attempts) {
    const found = await attempt(env, token);
    if (found) return found;
  }
  return null;
}

async function asAccessToken(env: Env, token: string): Promise<ActiveToken | null> {
  if (token.split(".").length !== 3) return null;
  const claims = await verifyAccessToken(env, token).catch(() => null);
  if (!claims) return null;
  const grant = await grantObject(env, claims.gid).status(claims.jti);
  // The token's sub is the one its client sees (pairwise or public, OIDC Core §8); the grant must be that client's.
  return grant && grant.clientId === claims.client_id ? { kind: "access_token", claims, grant } : null;
}

async function asRefreshToken(env: Env, token: string): Promise<ActiveToken | null> {
  const parsed = parseRefreshToken(token);
  if (!parsed) return null;
  const found = await grantObject(env, parsed.grantId).refreshTokenStatus(parsed.secret);
  return found ? { kind: "refresh_token", grantId: parsed.grantId, secret: parsed.secret, ...found } : null;
}

/**
 * Whether `clientId` may learn about (RFC 7662 §2.1) or exchange (RFC 8693) this token: its own
 * client, or, for an access token, the client of a registered resource server among its
 * audiences. Revocation is the token's own client's alone (RFC 7009 §2.1; the Grant checks it).
 */
export function tokenVisibleTo(token: ActiveToken, clientId: string, registry: Registry): boolean {
  if (token.grant.clientId === clientId) return true;
  if (token.kind !== "access_token") return false;
  return servesAudience(registry, clientId, audiencesOf(token.claims.aud));
}
