import {
  DEVICE_CODE_GRANT_TYPE,
  DeviceAuthorizationParamsSchema,
  getConfig,
  invalidClient,
  invalidDpopProof,
  invalidRequest,
  unauthorizedClient,
} from "@op/core";
import { paramsOf, readForm, rejectDuplicates } from "@op/http";
import {
  checkCodeChallenge,
  checkNonce,
  checkResponseType,
  effectiveMaxAge,
  effectiveMode,
  grantableScopes,
  isJwkThumbprint,
  offlineAccessAllowed,
  parseAuthorizationParams,
  parseClaimsParameter,
  parseDisplay,
  parsePrompt,
  parseResources,
  pkceRequired,
  pushedDpopJkt,
  rejectRegistrationParameter,
  resolveRedirectUri,
  responseModeFor,
} from "@op/rules";
import { cachedClient } from "@op/storage";
import { audiencesOf, verifyIdTokenHint } from "@op/tokens";
import type { AuthorizationContext, Endpoint, ResponseTarget } from "./context";
import { resolveAuthorizationRequest, resolvePushedRequest } from "./request-object/resolve";

/**
 * The checks of an authorization request, in the order their errors win, as one table shared by
 * the authorization endpoint (A: RFC 6749 §3.1, OIDC Core §3.1.2), the pushed authorization
 * request endpoint (P: RFC 9126 §2.1, "validated as an authorization request would be") and the
 * device authorization endpoint (D: RFC 8628 §3.1). The columns say which endpoint runs which
 * step, as in oidc-provider's lib/actions/authorization/index.js. For P and D the client
 * authentication pipeline has already read the form, refused repeated parameters and
 * authenticated the client (packages/http pipeline.ts), so their contexts start with those.
 * Each step writes its own fields of the context (context.ts) and reads earlier ones.
 */
export interface Step {
  name: string;
  on: readonly Endpoint[];
  run: (ctx: AuthorizationContext) => void | Promise<void>;
}

const A = "authorize";
const P = "par";
const D = "device_authorization";

/** RFC 6749 §3.1 / OIDC Core §3.1.2.1: GET carries the query, POST the form. */
async function readParameters(ctx: AuthorizationContext) {
  const read = ctx.request.method === "POST" ? await readForm(ctx.request) : paramsOf(new URL(ctx.request.url).searchParams);
  ctx.set("outside", read.params);
  ctx.set("outsideResources", read.resources);
  ctx.set("duplicates", read.duplicates);
}

/** RFC 6749 §3.1: a repeated client_id or redirect_uri leaves no client to trust: a page, before anything else. */
function rejectRepeatedClientOrRedirect(ctx: AuthorizationContext) {
  const repeated = ctx.get("duplicates").find((d) => d === "client_id" || d === "redirect_uri");
  if (repeated) throw invalidRequest(`parameter ${repeated} is included more than once`, { redirectable: false });
}

/** RFC 6749 §4.1.2.1: an unknown client gets an error page, never a redirect. */
async function loadClient(ctx: AuthorizationContext) {
  const clientId = ctx.get("outside").client_id;
  if (!clientId) throw invalidRequest("client_id is required", { redirectable: false });
  const client = await cachedClient(ctx.env, clientId);
  if (!client) throw invalidClient("unknown client_id", { status: 400 });
  ctx.set("client", client);
}

/** Where an error goes from the parameters as they arrived: their redirect URI if registered, in the mode they ask for. */
function targetFrom(ctx: AuthorizationContext, params: Record<string, string>, redirectUri: string): ResponseTarget {
  const client = ctx.get("client");
  const jarm = { jarmServer: getConfig(ctx.env).hardening.jarm, jarmClient: effectiveMode(getConfig(ctx.env), client, "jarm") };
  const { mode } = responseModeFor({
    requested: params.response_mode,
    responseType: params.response_type,
    ...jarm,
    encrypted: client.authorization_encrypted_response_alg !== undefined,
  });
  return { client, redirectUri, responseMode: mode, state: params.state };
}

/** While a request object or pushed request is read, errors go to the outside redirect URI only if it is registered. */
function provisionalTarget(ctx: AuthorizationContext) {
  const outside = ctx.get("outside");
  let redirectUri: string | undefined;
  try {
    redirectUri = resolveRedirectUri(ctx.get("client"), outside.redirect_uri);
  } catch {
    redirectUri = undefined;
  }
  ctx.set("provisionalTarget", redirectUri === undefined ? undefined : targetFrom(ctx, outside, redirectUri));
}

/** RFC 6749 §3.1: no other parameter may repeat either (resource may: RFC 8707 §2). */
function rejectRepeatedParameters(ctx: AuthorizationContext) {
  rejectDuplicates(ctx.get("duplicates"));
}

/** RFC 8628 §3.1: only clients allowed the device_code grant may start one. */
function deviceClient(ctx: AuthorizationContext) {
  if (!(ctx.get("client").grant_types as string[]).includes(DEVICE_CODE_GRANT_TYPE)) throw unauthorizedClient("client is not allowed the device_code grant");
}

/** RFC 9101 §5, RFC 9126 §4: the parameters from the query, a request object or a pushed request. */
async function resolveDirectRequest(ctx: AuthorizationContext) {
  ctx.set("resolved", await resolveAuthorizationRequest(ctx.env, ctx.get("client"), ctx.get("outside"), ctx.get("outsideResources")));
}

/** RFC 9126 §3: the pushed form, or the request object it carries. */
async function resolvePushed(ctx: AuthorizationContext) {
  ctx.set("resolved", await resolvePushedRequest(ctx.env, ctx.get("client"), ctx.get("outside"), ctx.get("outsideResources")));
}

/** RFC 8628 §3.1: a device authorization request is its form (no request objects). */
function plainRequest(ctx: AuthorizationContext) {
  ctx.set("resolved", { params: ctx.get("outside"), resources: ctx.get("outsideResources"), requestObject: "absent" });
}

/**
 * RFC 6749 §3.1.2.3 (with RFC 8252 §7.3 for loopback ports): the request's own redirect URI. From
 * here on errors go to it, in the mode the request asks for (or the type's default).
 */
function redirectUri(ctx: AuthorizationContext) {
  const params = ctx.get("resolved").params;
  const uri = resolveRedirectUri(ctx.get("client"), params.redirect_uri);
  ctx.set("redirectUri", uri);
  ctx.set("redirectUriSent", params.redirect_uri !== undefined);
  ctx.set("target", targetFrom(ctx, params, uri));
}

function parseParameters(ctx: AuthorizationContext) {
  const params = parseAuthorizationParams(ctx.get("resolved").params);
  ctx.set("params", params);
  ctx.set("requestedScope", params.scope);
}

/** RFC 8628 §3.1: scope is the only parameter besides client authentication and resource. */
function parseDeviceParameters(ctx: AuthorizationContext) {
  const parsed = DeviceAuthorizationParamsSchema.safeParse(ctx.get("resolved").params);
  if (!parsed.success) throw invalidRequest(`${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`);
  ctx.set("requestedScope", parsed.data.scope);
}

function registrationParameter(ctx: AuthorizationContext) {
  rejectRegistrationParameter(ctx.get("params"));
}

function responseType(ctx: AuthorizationContext) {
  ctx.set("responseType", checkResponseType(ctx.get("client"), ctx.get("params").response_type));
}

/** The response mode rule (rules/response-mode.ts): refused modes are errors; the mode is the target's. */
function responseMode(ctx: AuthorizationContext) {
  const client = ctx.get("client");
  const config = getConfig(ctx.env);
  const { mode, refusal } = responseModeFor({
    requested: ctx.get("params").response_mode,
    responseType: ctx.get("responseType"),
    jarmServer: config.hardening.jarm,
    jarmClient: effectiveMode(config, client, "jarm"),
    encrypted: client.authorization_encrypted_response_alg !== undefined,
  });
  if (refusal) throw refusal;
  ctx.set("responseMode", mode);
}

function nonce(ctx: AuthorizationContext) {
  checkNonce(ctx.get("params").nonce, ctx.get("responseType"));
}

function prompt(ctx: AuthorizationContext) {
  ctx.set("prompt", parsePrompt(ctx.get("params").prompt));
}

/**
 * The scopes the user may grant (rules/scope.ts). OIDC Core §11: offline_access only with a code
 * and an explicit consent (prompt=consent) at the authorization endpoint; the device flow always
 * shows its consent page.
 */
function scopes(ctx: AuthorizationContext) {
  const offline = ctx.endpoint === D || offlineAccessAllowed(ctx.get("responseType"), ctx.get("prompt"));
  ctx.set("scopes", grantableScopes(ctx.get("client"), ctx.get("requestedScope"), { offlineAccess: offline }));
}

function maxAge(ctx: AuthorizationContext) {
  ctx.set("maxAge", effectiveMaxAge(ctx.get("client"), ctx.get("params").max_age));
}

/** OIDC Core §3.1.2.1: the hint must be an ID token we issued (expired is fine) to this client. */
async function idTokenHint(ctx: AuthorizationContext) {
  const hint = ctx.get("params").id_token_hint;
  if (hint === undefined) return ctx.set("idTokenHintSub", undefined);
  const claims = await verifyIdTokenHint(ctx.env, hint);
  if (!claims || !audiencesOf(claims.aud).includes(ctx.get("client").client_id))
    throw invalidRequest("id_token_hint is not a valid ID token issued to this client");
  ctx.set("idTokenHintSub", claims.sub);
}

function claims(ctx: AuthorizationContext) {
  ctx.set("claims", parseClaimsParameter(ctx.get("params").claims));
}

function pkce(ctx: AuthorizationContext) {
  const required = pkceRequired(ctx.get("client"), ctx.get("responseType"));
  ctx.set("pkce", checkCodeChallenge(ctx.get("params"), { required, plainAllowed: getConfig(ctx.env).pkcePlainEnabled }));
}

function display(ctx: AuthorizationContext) {
  ctx.set("display", parseDisplay(ctx.get("params").display));
}

/** RFC 8707 §2: absolute URIs without fragment. */
function resources(ctx: AuthorizationContext) {
  ctx.set("resources", parseResources(ctx.get("resolved").resources));
}

/**
 * RFC 9449 §10: `dpop_jkt` binds the code to a DPoP key (a JWK SHA-256 thumbprint); at the PAR
 * endpoint (§10.1) the request's DPoP proof must name the same key, and names it when the
 * parameter is absent.
 */
function dpopJkt(ctx: AuthorizationContext) {
  const param = ctx.get("params").dpop_jkt;
  if (param !== undefined && !isJwkThumbprint(param)) throw invalidRequest("dpop_jkt must be a JWK SHA-256 thumbprint (RFC 7638, base64url)");
  if (ctx.endpoint !== P) return ctx.set("dpopJkt", param);
  const { jkt, refusal } = pushedDpopJkt(param, ctx.get("dpopProofJkt"));
  if (refusal) throw invalidDpopProof(refusal);
  ctx.set("dpopJkt", jkt);
}

const step = (name: string, on: readonly Endpoint[], run: Step["run"]): Step => ({ name, on, run });

export const STEPS: readonly Step[] = [
  step("readParameters", [A], readParameters),
  step("rejectRepeatedClientOrRedirect", [A], rejectRepeatedClientOrRedirect),
  step("loadClient", [A], loadClient),
  step("provisionalTarget", [A], provisionalTarget),
  step("rejectRepeatedParameters", [A], rejectRepeatedParameters),
  step("deviceClient", [D], deviceClient),
  step("resolveDirectRequest", [A], resolveDirectRequest),
  step("resolvePushed", [P], resolvePushed),
  step("plainRequest", [D], plainRequest),
  step("redirectUri", [A, P], redirectUri),
  step("parseParameters", [A, P], parseParameters),
  step("parseDeviceParameters", [D], parseDeviceParameters),
  step("registrationParameter", [A, P], registrationParameter),
  step("responseType", [A, P], responseType),
  step("responseMode", [A, P], responseMode),
  step("nonce", [A, P], nonce),
  step("prompt", [A, P], prompt),
  step("scopes", [A, P, D], scopes),
  step("maxAge", [A, P], maxAge),
  step("idTokenHint", [A, P], idTokenHint),
  step("claims", [A, P], claims),
  step("pkce", [A, P], pkce),
  step("display", [A, P], display),
  step("resources", [A, P, D], resources),
  step("dpopJkt", [A, P], dpopJkt),
];

/** Runs the table's steps for the context's endpoint, in order; the first error ends the request. */
export async function runSteps(ctx: AuthorizationContext): Promise<void> {
  for (const s of STEPS) if (s.on.includes(ctx.endpoint)) await s.run(ctx);
}
