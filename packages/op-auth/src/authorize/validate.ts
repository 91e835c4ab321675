import {
  type AuthorizationParams,
  AuthorizationParamsSchema,
  type ClaimsRequest,
  ClaimsRequestSchema,
  type Client,
  type DeliveredResponseMode,
  getConfig,
  invalidClient,
  invalidRequest,
  isJwtResponseMode,
  isPublicClient,
  isResponseMode,
  normalizeResponseType,
  type ResponseType,
  registrationNotSupported,
  SUPPORTED_RESPONSE_TYPES,
  unauthorizedClient,
  unsupportedResponseMode,
  unsupportedResponseType,
  type ValidatedAuthorizationRequest,
} from "@op/core";
import { paramsOf, readForm } from "@op/http";
import { effectiveMode, grantableScopes, PKCE_VALUE } from "@op/rules";
import { cachedClient, type Env } from "@op/storage";
import { audiencesOf, verifyIdTokenHint } from "@op/tokens";
import type { ResponseTarget } from "./respond";
import { defaultResponseMode, returnsTokens } from "./response-modes/default-mode";
import { jwtResponseMode } from "./response-modes/jwt";

/** The steps of OIDC Core §3.1.2.2 / RFC 6749 §4.1.1, each one short check that throws or passes. */

export async function readAuthorizationParams(request: Request) {
  if (request.method === "POST") return readForm(request, 64 * 1024);
  return paramsOf(new URL(request.url).searchParams);
}

/** An unknown client gets an error page, never a redirect (RFC 6749 §4.1.2.1). */
export async function loadClient(env: Env, clientId: string | undefined): Promise<Client> {
  if (!clientId) throw invalidRequest("client_id is required");
  const client = await cachedClient(env, clientId);
  if (!client) throw invalidClient("unknown client_id", { status: 400 });
  return client;
}

/**
 * Exact string match against a registered redirect URI (RFC 9700 §2.1); it may be omitted only
 * when exactly one is registered. A mismatch gets an error page, never a redirect.
 */
export function resolveRedirectUri(client: Client, redirectUri: string | undefined): string {
  if (redirectUri === undefined) {
    if (client.redirect_uris.length === 1) return client.redirect_uris[0]!;
    throw invalidRequest("redirect_uri is required when the client has several");
  }
  if (!client.redirect_uris.includes(redirectUri)) throw invalidRequest("redirect_uri is not registered for this client");
  return redirectUri;
}

export function parseParams(raw: Record<string, string>): AuthorizationParams {
  const parsed = AuthorizationParamsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw invalidRequest(`${issue.path.join(".")}: ${issue.message}`);
}

/**
 * The mode an error is returned with before the request is fully checked: the requested
 * transport if it exists (never query for tokens, unless an encrypted JWT), else fragment when
 * the type names tokens, else query; as a JWT (JARM) when the client must use JARM or asked for
 * it where JARM is on. A JWT mode where JARM is off falls back to the plain transport.
 */
export function provisionalResponseMode(raw: Record<string, string>, client: Client, env: Env): DeliveredResponseMode {
  const type = normalizeResponseType(raw.response_type ?? "");
  const requested = isResponseMode(raw.response_mode) ? raw.response_mode : undefined;
  const jarm = effectiveMode(getConfig(env), client, "jarm");
  const jwt = jarm === "required" || (jarm !== "disabled" && requested !== undefined && isJwtResponseMode(requested));
  const transport = requested === undefined || requested === "jwt" ? undefined : requested.replace(/\.jwt$/, "");
  const queryAllowed = !returnsTokens(type) || (jwt && client.authorization_encrypted_response_alg !== undefined);
  const mode = (transport === "query" && !queryAllowed ? undefined : transport) ?? defaultResponseMode(type);
  return (jwt ? `${mode}.jwt` : mode) as DeliveredResponseMode;
}

/**
 * The response mode for a checked response type. Query is refused when tokens would land in it
 * (Multiple Response Types §5), query.jwt too unless the JWT is encrypted (JARM §2.3.1). JARM
 * modes follow the client's effective JARM mode: off where the server disabled JARM (then they
 * are unsupported, as unknown modes are) or the client did; the only modes where it is required,
 * with `jwt` as the default (JARM §2.3.4). The PAR endpoint runs this same step.
 */
export function checkResponseMode(
  params: Pick<AuthorizationParams, "response_mode">,
  type: ResponseType,
  target: ResponseTarget,
  env: Env,
): DeliveredResponseMode {
  const config = getConfig(env);
  const jarm = effectiveMode(config, target.client, "jarm");
  const requested = params.response_mode ?? (jarm === "required" ? "jwt" : defaultResponseMode(type));
  if (!isResponseMode(requested) || (isJwtResponseMode(requested) && config.hardening.jarm === "disabled")) {
    throw unsupportedResponseMode(`response_mode ${requested} is not supported`);
  }
  if (isJwtResponseMode(requested) && jarm === "disabled")
    throw invalidRequest(`response_mode ${requested} is not allowed for this client (JARM is disabled for it)`);
  if (!isJwtResponseMode(requested) && jarm === "required")
    throw invalidRequest(`this client must use a JWT response mode (JARM); response_mode ${requested} is not allowed`);
  const mode = requested === "jwt" ? jwtResponseMode(type) : requested;
  if (mode === "query" && returnsTokens(type)) throw invalidRequest("response_mode query cannot carry tokens");
  if (mode === "query.jwt" && returnsTokens(type) && !target.client.authorization_encrypted_response_alg) {
    throw invalidRequest("response_mode query.jwt cannot carry tokens unless the response is encrypted");
  }
  target.responseMode = mode;
  return mode;
}

/** OIDC Core §3.2.2.1, §3.3.2.11: nonce is required whenever an ID token comes from this endpoint. */
export function checkNonce(params: AuthorizationParams, type: ResponseType): void {
  if (type.split(" ").includes("id_token") && !params.nonce)
    throw invalidRequest("nonce is required when an ID token is returned from the authorization endpoint");
}

/** OIDC Core §6.1: passing client metadata by value is not supported (registration happens at /register). */
export function rejectRegistrationParameter(params: AuthorizationParams): void {
  if (params.registration !== undefined) throw registrationNotSupported("the registration parameter is not supported");
}

/**
 * Where errors go while a request object or pushed request is being read: the outside
 * redirect_uri if it is registered for the client (or the only one registered), else nowhere
 * (an error page). It is replaced once the request's own redirect_uri is known.
 */
export function provisionalTarget(env: Env, client: Client, outside: Record<string, string>): ResponseTarget | undefined {
  try {
    return {
      client,
      redirectUri: resolveRedirectUri(client, outside.redirect_uri),
      responseMode: provisionalResponseMode(outside, client, env),
      state: outside.state,
    };
  } catch {
    return undefined;
  }
}

export function checkResponseType(client: Client, params: AuthorizationParams): ResponseType {
  if (!params.response_type) throw invalidRequest("response_type is required");
  const normalized = normalizeResponseType(params.response_type);
  if (!(SUPPORTED_RESPONSE_TYPES as readonly string[]).includes(normalized))
    throw unsupportedResponseType(`response_type ${params.response_type} is not supported`);
  if (!(client.response_types as string[]).includes(normalized)) throw unauthorizedClient("client is not registered for this response_type");
  return normalized as ResponseType;
}

/** The grantable scopes (shared with the device authorization endpoint); offline_access always goes through consent (see decide). */
export function resolveScopes(client: Client, params: AuthorizationParams): string[] {
  return grantableScopes(client, params.scope);
}

/** RFC 7636 §4.3; PKCE is required for public clients (RFC 9700 §2.1.1) and for clients that opted in. */
export function checkPkce(
  client: Client,
  params: AuthorizationParams,
  type: ResponseType,
  env: Env,
): Pick<ValidatedAuthorizationRequest, "codeChallenge" | "codeChallengeMethod"> {
  const { code_challenge: challenge, code_challenge_method: method } = params;
  if (challenge === undefined) {
    if (method !== undefined) throw invalidRequest("code_challenge_method without code_challenge");
    const issuesCode = type.split(" ").includes("code");
    if (issuesCode && (isPublicClient(client) || client.require_pkce)) throw invalidRequest("PKCE code_challenge is required for this client");
    return {};
  }
  const m = method ?? "plain"; // RFC 7636 §4.3 default
  if (m !== "S256" && !(m === "plain" && getConfig(env).pkcePlainEnabled)) {
    throw invalidRequest(`code_challenge_method ${m} is not supported`);
  }
  if (!PKCE_VALUE.test(challenge)) throw invalidRequest("code_challenge is malformed");
  return { codeChallenge: challenge, codeChallengeMethod: m };
}

export function parseClaimsParameter(params: AuthorizationParams): ClaimsRequest | undefined {
  if (params.claims === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(params.claims);
  } catch {
    throw invalidRequest("claims is not valid JSON");
  }
  const parsed = ClaimsRequestSchema.safeParse(json);
  if (!parsed.success) throw invalidRequest("claims parameter is malformed");
  return parsed.data;
}

const PROMPTS = ["none", "login", "consent", "select_account"] as const;

/** OIDC Core §3.1.2.1: none must stand alone. select_account is read as login (one account per browser). */
export function parsePrompt(params: AuthorizationParams): ValidatedAuthorizationRequest["prompt"] {
  const values = (params.prompt ?? "").split(" ").filter(Boolean);
  for (const v of values) if (!(PROMPTS as readonly string[]).includes(v)) throw invalidRequest(`prompt ${v} is not supported`);
  if (values.includes("none") && values.length > 1) throw invalidRequest("prompt=none cannot be combined with other values");
  return [...new Set(values)] as ValidatedAuthorizationRequest["prompt"];
}

export function parseDisplay(params: AuthorizationParams): ValidatedAuthorizationRequest["display"] {
  if (params.display === undefined) return undefined;
  if (!["page", "popup", "touch", "wap"].includes(params.display)) throw invalidRequest(`display ${params.display} is not supported`);
  return params.display as ValidatedAuthorizationRequest["display"];
}

/** OIDC Core §3.1.2.1: the hint must be an ID token we issued (expired is fine) to this client. */
export async function verifyHint(env: Env, client: Client, hint: string | undefined): Promise<string | undefined> {
  if (hint === undefined) return undefined;
  const claims = await verifyIdTokenHint(env, hint);
  if (!claims || !audiencesOf(claims.aud).includes(client.client_id)) throw invalidRequest("id_token_hint is not a valid ID token issued to this client");
  return claims.sub;
}

/** Effective max_age: the request's, else the client's default_max_age (OIDC DCR §2). */
export function effectiveMaxAge(client: Client, params: AuthorizationParams): number | undefined {
  return params.max_age ?? client.default_max_age;
}
