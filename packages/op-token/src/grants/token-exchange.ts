import { type Client, getConfig, invalidGrant, invalidRequest, invalidScope, invalidTarget, randomToken } from "@op/core";
import { narrowScope } from "@op/rules";
import { type Env, grantObject } from "@op/storage";
import { type ActorClaim, audiencesOf, issueAccessToken, verifyIdTokenHint } from "@op/tokens";
import { lookupActiveToken, tokenVisibleTo } from "../token-lookup";
import type { GrantContext, TokenResponse } from "./context";

/** RFC 8693 §3 token type identifiers. */
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";

/**
 * RFC 8693 token exchange: a client trades an active access token it may see (issued to it, or
 * naming it as audience) for one aimed at other audiences, optionally on behalf of an actor.
 * Policy is per client: the grant type, and `token_exchange_audiences` for the targets.
 */
export async function tokenExchangeGrant({ env, client, params, resources, audiences, boundThumbprint }: GrantContext): Promise<TokenResponse> {
  const subject = await activeSubjectToken(env, client, params);
  const actor = await actorOf(env, client, params);
  checkRequestedTokenType(params.requested_token_type);
  const targets = exchangeTargets(client, [...audiences, ...resources]);
  const scope = exchangedScope(subject.scope, params.scope);
  const grantId = randomToken(16);
  const now = Date.now();
  // The exchanged token never outlives the token it was exchanged for.
  const expiresAt = Math.min(subject.exp * 1000, now + getConfig(env).ttl.accessToken * 1000);
  await grantObject(env, grantId).activate({
    grantId,
    clientId: client.client_id,
    sub: subject.sub,
    scope,
    resources: targets,
    authTimeRequired: false,
    createdAt: now,
    expiresAt,
    offline: false,
  });
  const act = actor && { ...actor, ...(subject.act ? { act: subject.act } : {}) };
  const at = await issueAccessToken(env, { grantId, client, sub: subject.sub, scope, resources: targets, act, certificateThumbprint: boundThumbprint });
  return {
    access_token: at.token,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: "Bearer",
    expires_in: Math.min(at.expiresIn, Math.floor((expiresAt - now) / 1000)),
    scope,
  };
}

async function activeSubjectToken(env: Env, client: Client, params: Record<string, string>) {
  if (!params.subject_token || !params.subject_token_type) throw invalidRequest("subject_token and subject_token_type are required");
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw invalidRequest("subject_token_type must be an access token");
  const found = await lookupActiveToken(env, params.subject_token, "access_token");
  if (found?.kind !== "access_token" || !tokenVisibleTo(found, client.client_id)) throw invalidGrant("subject_token is not active or not for this client");
  // The account behind the token, not the sub its client saw: the new token names it as this client sees it (OIDC Core §8).
  return { ...found.claims, sub: found.grant.sub };
}

/** §2.1: the actor is who acts; an access token or one of our ID tokens identifies it. */
async function actorOf(env: Env, client: Client, params: Record<string, string>): Promise<ActorClaim | undefined> {
  if (params.actor_token === undefined) {
    if (params.actor_token_type !== undefined) throw invalidRequest("actor_token_type without actor_token");
    return undefined;
  }
  if (params.actor_token_type === ACCESS_TOKEN_TYPE) {
    const found = await lookupActiveToken(env, params.actor_token, "access_token");
    if (found?.kind !== "access_token" || !tokenVisibleTo(found, client.client_id)) throw invalidGrant("actor_token is not active or not for this client");
    return { sub: found.claims.sub, client_id: found.claims.client_id };
  }
  if (params.actor_token_type === ID_TOKEN_TYPE) {
    const claims = await verifyIdTokenHint(env, params.actor_token);
    const fresh = claims && typeof claims.exp === "number" && claims.exp * 1000 > Date.now();
    if (!claims || !fresh || !audiencesOf(claims.aud).includes(client.client_id)) throw invalidGrant("actor_token is not a valid ID token for this client");
    return { sub: claims.sub };
  }
  throw invalidRequest("actor_token_type must be an access token or an ID token");
}

function checkRequestedTokenType(type: string | undefined) {
  if (type !== undefined && type !== ACCESS_TOKEN_TYPE) throw invalidRequest("only access tokens can be requested");
}

/** §2.2.2 invalid_target: every audience or resource must be one the client may exchange for. */
function exchangeTargets(client: Client, requested: string[]): string[] {
  const allowed = client.token_exchange_audiences ?? [];
  const refused = requested.find((t) => !allowed.includes(t));
  if (refused) throw invalidTarget(`the client may not exchange tokens for ${refused}`);
  return [...new Set(requested)].sort();
}

/** §2.1: scope may narrow the subject token's, never widen it (the same rule as a refresh). */
function exchangedScope(subjectScope: string, requested: string | undefined): string {
  const scope = narrowScope(subjectScope, requested);
  if (scope === null) throw invalidScope("requested scope exceeds the subject token's");
  return scope;
}
