import type { Client, GrantedAuthorization } from "@op/core";
import { getConfig, invalidToken, randomToken } from "@op/core";
import { type SubjectClient, subjectFor } from "@op/rules";
import type { Env } from "@op/storage";
import { decodeProtectedHeader } from "jose";
import { checkJwtRole } from "./jwt-roles";
import { nowSeconds, signJwt, verifyOwnJwt } from "./keys";

/**
 * Access tokens are RFC 9068 JWTs (typ at+jwt) signed with ES256: resource servers can verify
 * them offline, and this OP still revokes them at once because every token names its grant
 * (`gid`) and userinfo checks the grant's Durable Object.
 */
export const ACCESS_TOKEN_ALG = "ES256" as const;
export const ACCESS_TOKEN_TYP = "at+jwt";

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  gid: string;
  auth_time?: number;
  acr?: string;
  /** RFC 8693 §4.1: who acts for the subject (nested for delegation chains). */
  act?: ActorClaim;
  /** RFC 7800 §3.1 confirmation: RFC 8705 §3.1 the client certificate, RFC 9449 §6.1 the DPoP key the token is bound to. */
  cnf?: { "x5t#S256"?: string; jkt?: string };
}

export interface ActorClaim {
  sub: string;
  client_id?: string;
  act?: ActorClaim;
}

/** The audience of tokens meant for this OP's own userinfo endpoint. */
export const userinfoAudience = (issuer: string) => `${issuer}/userinfo`;

/**
 * RFC 8707: the resources the token is for; userinfo joins them when the openid scope was
 * granted, and is the audience when no resource was named.
 */
export function accessTokenAudience(issuer: string, scope: string, resources: string[]): string | string[] {
  const aud = [...resources];
  if (!aud.length || scope.split(" ").includes("openid")) aud.push(userinfoAudience(issuer));
  return aud.length === 1 ? aud[0]! : aud;
}

export type AccessTokenInput = Pick<GrantedAuthorization, "sub" | "scope" | "resources"> &
  Partial<Pick<GrantedAuthorization, "authTime" | "acr">> & {
    grantId: string;
    act?: ActorClaim;
    certificateThumbprint?: string;
    /** RFC 9449 §6: the thumbprint of the DPoP key the token is bound to. */
    dpopJkt?: string;
    /** The client the token is issued to: its `client_id`, and the `sub` it sees (OIDC Core §8), as in its ID tokens. */
    client: SubjectClient & Pick<Client, "client_id">;
    /** Seconds, when its resources ask for less than ACCESS_TOKEN_TTL (never more: see accessTokenLifetime in @op/rules). */
    lifetime?: number;
  };

/** RFC 7800 §3.1 `cnf`: each binding the token has (a certificate, a DPoP key, or both), or nothing. */
function confirmation(a: Pick<AccessTokenInput, "certificateThumbprint" | "dpopJkt">): { cnf?: AccessTokenClaims["cnf"] } {
  if (!a.certificateThumbprint && !a.dpopJkt) return {};
  return { cnf: { ...(a.certificateThumbprint ? { "x5t#S256": a.certificateThumbprint } : {}), ...(a.dpopJkt ? { jkt: a.dpopJkt } : {}) } };
}

export async function issueAccessToken(env: Pick<Env, "KEY_STORE" | "ISSUER" | "ENVIRONMENT">, a: AccessTokenInput) {
  const config = getConfig(env);
  const iat = nowSeconds();
  const lifetime = Math.min(a.lifetime ?? config.ttl.accessToken, config.ttl.accessToken);
  const claims: AccessTokenClaims = {
    iss: config.issuer,
    // Pairwise too (as oidc-provider does): the client can read this JWT, so the public id would undo §8.1.
    sub: await subjectFor(a.client, a.sub, config),
    aud: accessTokenAudience(config.issuer, a.scope, a.resources),
    client_id: a.client.client_id,
    scope: a.scope,
    iat,
    exp: iat + lifetime,
    jti: randomToken(16),
    gid: a.grantId,
    auth_time: a.authTime,
    acr: a.acr,
    ...(a.act ? { act: a.act } : {}),
    ...confirmation(a),
  };
  const token = await signJwt(env, ACCESS_TOKEN_ALG, { ...claims }, ACCESS_TOKEN_TYP);
  return { token, expiresIn: lifetime, claims };
}

/**
 * Verifies signature, typ, issuer, lifetime and, when given, that `audience` is among the
 * token's (userinfo passes its own; introspection and token exchange take any), and that it is
 * an access token and nothing else (jwt-roles.ts). Grant state is the caller's next check.
 */
export async function verifyAccessToken(env: Pick<Env, "KEY_STORE" | "ISSUER" | "ENVIRONMENT">, token: string, audience?: string): Promise<AccessTokenClaims> {
  const payload = await verifyOwnJwt(env, token, {
    typ: ACCESS_TOKEN_TYP,
    ...(audience ? { audience } : {}),
    requiredClaims: ["sub", "client_id", "scope", "jti", "gid", "exp", "iat"],
    algorithms: [ACCESS_TOKEN_ALG],
  });
  checkJwtRole("access_token", decodeProtectedHeader(token), payload, invalidToken);
  return payload as unknown as AccessTokenClaims;
}
