import { type AuthenticatedClient, getConfig, invalidGrant, invalidRequest, invalidTarget, randomToken } from "@op/core";
import {
  accessTokenLifetime,
  checkExchangeTargets,
  dpopTokenType,
  effectiveGrants,
  exchangedScope,
  type Registry,
  registeredTargets,
  type Target,
} from "@op/rules";
import { type Env, grantObject } from "@op/storage";
import { type ActorClaim, audiencesOf, issueAccessToken, userinfoAudience, verifyIdTokenHint } from "@op/tokens";
import { lookupActiveToken, tokenVisibleTo } from "../token-lookup";
import type { GrantContext, TokenResponse } from "./context";

/** RFC 8693 §3 token type identifiers. */
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token";
/** As many `audience` values as RFC 8707 `resource` values (parseResources). */
const MAX_AUDIENCES = 10;

/**
 * RFC 8693 token exchange: a client trades an active access token it may see (issued to it, or
 * addressed to a resource server whose own client it is) for one aimed at registered resources,
 * optionally on behalf of an actor. Which resources is the operator's to say: the client's
 * `token_exchange` grant, or the `downstream` resources of the resource server the subject token
 * is for (docs/resources.md); the client's `token_exchange_audiences` metadata grants nothing.
 */
export async function tokenExchangeGrant({
  env,
  client,
  params,
  targets: resources,
  audiences,
  registry,
  boundThumbprint,
  dpopJkt,
}: GrantContext): Promise<TokenResponse> {
  const config = getConfig(env);
  const subject = await activeSubjectToken(env, client, params, registry);
  const actor = await actorOf(env, client, params, registry);
  checkRequestedTokenType(params.requested_token_type);
  const targets = exchangeTargets(registry, audiences, resources, config.issuer);
  const { grants } = effectiveGrants(client, client.operatorGrants, config, registry);
  checkExchangeTargets(registry, client.client_id, grants, audiencesOf(subject.aud), targets);
  const scope = exchangedScope(subject.scope, params.scope, targets);
  const identifiers = targets.map((t) => t.identifier);
  const lifetime = accessTokenLifetime(registry, identifiers, config.ttl.accessToken);
  const grantId = randomToken(16);
  const now = Date.now();
  // The exchanged token never outlives the token it was exchanged for.
  const expiresAt = Math.min(subject.exp * 1000, now + lifetime * 1000);
  await grantObject(env, grantId).activate({
    grantId,
    clientId: client.client_id,
    sub: subject.sub,
    scope,
    resources: identifiers,
    authTimeRequired: false,
    createdAt: now,
    expiresAt,
    offline: false,
  });
  const act = actor && { ...actor, ...(subject.act ? { act: subject.act } : {}) };
  const at = await issueAccessToken(env, {
    grantId,
    client,
    sub: subject.sub,
    scope,
    resources: identifiers,
    act,
    lifetime,
    certificateThumbprint: boundThumbprint,
    dpopJkt,
  });
  return {
    access_token: at.token,
    issued_token_type: ACCESS_TOKEN_TYPE,
    token_type: dpopTokenType(dpopJkt),
    expires_in: Math.min(at.expiresIn, Math.floor((expiresAt - now) / 1000)),
    scope,
  };
}

/**
 * §2.1, §2.2.2: `audience` values name registered resources as `resource` values do (the
 * userinfo audience follows the `openid` scope, as in every token); anything else is invalid_target.
 */
function exchangeTargets(registry: Registry, audiences: string[], resources: Target[], issuer: string): Target[] {
  if (audiences.length > MAX_AUDIENCES) throw invalidTarget(`at most ${MAX_AUDIENCES} audience parameters`);
  const named = registeredTargets(registry, audiences, userinfoAudience(issuer)).targets;
  const all = new Map([...resources, ...named].map((t) => [t.identifier, t]));
  return [...all.values()].sort((a, b) => (a.identifier < b.identifier ? -1 : 1));
}

async function activeSubjectToken(env: Env, client: AuthenticatedClient, params: Record<string, string>, registry: Registry) {
  if (!params.subject_token || !params.subject_token_type) throw invalidRequest("subject_token and subject_token_type are required");
  if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw invalidRequest("subject_token_type must be an access token");
  const found = await lookupActiveToken(env, params.subject_token, "access_token");
  if (found?.kind !== "access_token" || !tokenVisibleTo(found, client.client_id, registry))
    throw invalidGrant("subject_token is not active or not for this client");
  // The account behind the token, not the sub its client saw: the new token names it as this client sees it (OIDC Core §8).
  return { ...found.claims, sub: found.grant.sub };
}

/** §2.1: the actor is who acts; an access token or one of our ID tokens identifies it. */
async function actorOf(env: Env, client: AuthenticatedClient, params: Record<string, string>, registry: Registry): Promise<ActorClaim | undefined> {
  if (params.actor_token === undefined) {
    if (params.actor_token_type !== undefined) throw invalidRequest("actor_token_type without actor_token");
    return undefined;
  }
  if (params.actor_token_type === ACCESS_TOKEN_TYPE) {
    const found = await lookupActiveToken(env, params.actor_token, "access_token");
    if (found?.kind !== "access_token" || !tokenVisibleTo(found, client.client_id, registry))
      throw invalidGrant("actor_token is not active or not for this client");
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
