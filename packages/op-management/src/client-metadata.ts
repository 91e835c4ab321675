import { ASSERTION_ALGS, type ClientMetadata, ClientMetadataSchema, type Config, IMPLICIT_GRANT, invalidClientMetadata, invalidRedirectUri } from "@op/core";
import { conflictingClientMode, enabledTokenAuthMethods, FETCHABLE_URL_RULE, fetchRefusal, isRequired } from "@op/rules";
import { z } from "zod";

/** Human-readable members that may carry a BCP 47 language tag (OIDC DCR §2.1). */
const LOCALIZABLE = ["client_name", "logo_uri", "client_uri", "policy_uri", "tos_uri"] as const;
const URL_MEMBERS = new Set(["logo_uri", "client_uri", "policy_uri", "tos_uri"]);

export interface ValidatedMetadata {
  metadata: ClientMetadata;
  localized: Record<string, string>;
}

/** RFC 7591 §2 / OIDC DCR §2: the steps that turn a registration body into client metadata. */
export function validateClientMetadata(body: unknown, config: Config): ValidatedMetadata {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw invalidClientMetadata("the request body must be a JSON object");
  const metadata = parseMetadata(body as Record<string, unknown>);
  for (const uri of metadata.redirect_uris) checkRedirectUri(uri, metadata.application_type, config, invalidRedirectUri);
  for (const uri of metadata.post_logout_redirect_uris ?? []) checkRedirectUri(uri, metadata.application_type, config, invalidClientMetadata);
  checkGrantTypesMatchResponseTypes(metadata);
  checkAuthenticationMethod(metadata, config);
  checkHardeningModes(metadata, config);
  checkRequestObjects(metadata, config);
  checkLogoutUris(metadata, config);
  checkFetchedUrls(metadata, config);
  return { metadata, localized: localizedMembers(body as Record<string, unknown>) };
}

function parseMetadata(body: Record<string, unknown>): ClientMetadata {
  const parsed = ClientMetadataSchema.safeParse(body);
  if (parsed.success) {
    // The default response type only applies to clients that use the authorization endpoint.
    const redirectless = body.response_types === undefined && !parsed.data.grant_types.includes("authorization_code");
    return redirectless ? { ...parsed.data, response_types: [] } : parsed.data;
  }
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".");
  if (issue.path[0] === "redirect_uris") throw invalidRedirectUri(`redirect_uris: ${issue.message}`);
  throw invalidClientMetadata(`${field || "metadata"}: ${issue.message}`);
}

/** Grants where the client acts on its own credentials (RFC 6749 §4.4, RFC 8693, RFC 7523). */
const CONFIDENTIAL_GRANTS = ["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:jwt-bearer"] as const;

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * OIDC DCR §2 and RFC 8252 §7: absolute URIs without fragment; web clients use https (plain
 * http only to loopback, and only in development); native clients may use loopback http or a
 * private-use scheme.
 */
function checkRedirectUri(uri: string, applicationType: "web" | "native", config: Config, fail: (d: string) => Error) {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw fail(`${uri} is not an absolute URI`);
  }
  if (url.hash || uri.includes("#")) throw fail(`${uri} must not contain a fragment`);
  const loopback = url.protocol === "http:" && LOOPBACK.has(url.hostname);
  if (applicationType === "web") {
    if (url.protocol === "https:") return;
    if (loopback && config.development) return;
    throw fail(`${uri}: web clients must use https redirect URIs`);
  }
  if (url.protocol === "https:" || loopback) return;
  if (url.protocol === "http:" || url.protocol === "javascript:" || url.protocol === "data:" || url.protocol === "file:") {
    throw fail(`${uri}: native clients use loopback http, https or a private-use scheme`);
  }
}

/** Grants through which a user authorizes the client, and so may yield refresh tokens. */
const USER_GRANTS: string[] = ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"];

/**
 * OIDC DCR §2: response_types and grant_types must agree; redirect-based clients need redirect
 * URIs (a device_code client has none: RFC 8628 §3.3 sends the user to the OP); public clients
 * cannot use client_credentials (RFC 6749 §4.4 needs authentication).
 */
function checkGrantTypesMatchResponseTypes(m: ClientMetadata) {
  const words = new Set(m.response_types.flatMap((t) => t.split(" ")));
  if (words.has("code") && !m.grant_types.includes("authorization_code")) {
    throw invalidClientMetadata("response_type code requires the authorization_code grant type");
  }
  if ((words.has("token") || words.has("id_token")) && !m.grant_types.includes("implicit")) {
    throw invalidClientMetadata("response types returning tokens require the implicit grant type");
  }
  // OIDC Core §2: `none` only when no ID token comes from the authorization endpoint (code, code token).
  if (m.id_token_signed_response_alg === "none" && words.has("id_token")) {
    throw invalidClientMetadata("id_token_signed_response_alg none is not allowed with response types that return an ID token from the authorization endpoint");
  }
  // OIDC DCR §2: every client of the authorization endpoint (code or implicit) needs redirect URIs.
  if ((m.grant_types.includes("authorization_code") || m.grant_types.includes(IMPLICIT_GRANT)) && !m.redirect_uris.length) {
    throw invalidRedirectUri("redirect_uris is required");
  }
  if (m.grant_types.includes("refresh_token") && !m.grant_types.some((g) => USER_GRANTS.includes(g))) {
    throw invalidClientMetadata(`refresh_token needs a grant that issues refresh tokens (${USER_GRANTS.join(", ")})`);
  }
  const needsAuthentication = m.grant_types.find((g) => (CONFIDENTIAL_GRANTS as readonly string[]).includes(g));
  if (needsAuthentication && m.token_endpoint_auth_method === "none") throw invalidClientMetadata(`public clients cannot use the ${needsAuthentication} grant`);
  const signsAssertions = m.jwks || m.jwks_uri || m.token_endpoint_auth_method === "client_secret_jwt";
  if (m.grant_types.includes("urn:ietf:params:oauth:grant-type:jwt-bearer") && !signsAssertions) {
    throw invalidClientMetadata("the jwt-bearer grant needs jwks, jwks_uri or client_secret_jwt");
  }
}

/** RFC 7591 §2 / RFC 7523: the method must be enabled, and its keys present and consistent. */
function checkAuthenticationMethod(m: ClientMetadata, config: Config) {
  const method = m.token_endpoint_auth_method;
  if (!enabledTokenAuthMethods(config).includes(method)) throw invalidClientMetadata(`token_endpoint_auth_method ${method} is not enabled`);
  if (m.jwks && m.jwks_uri) throw invalidClientMetadata("jwks and jwks_uri must not both be present");
  if (method === "private_key_jwt" && !m.jwks && !m.jwks_uri) throw invalidClientMetadata("private_key_jwt needs jwks or jwks_uri");
  if (method === "tls_client_auth" && !m.tls_client_auth_subject_dn) throw invalidClientMetadata("tls_client_auth needs tls_client_auth_subject_dn");
  if (method === "self_signed_tls_client_auth" && !m.jwks?.keys.some((k) => k.x5c?.length)) {
    throw invalidClientMetadata("self_signed_tls_client_auth needs jwks holding the certificate in x5c");
  }
  if (m.tls_client_certificate_bound_access_tokens && !config.tlsClientAuth) throw invalidClientMetadata("certificate-bound access tokens are not enabled");
  checkEncryption(m, "id_token");
  checkEncryption(m, "userinfo");
  checkEncryption(m, "authorization"); // JARM §3: the same rules as for ID tokens
  const alg = m.token_endpoint_auth_signing_alg;
  if (alg && method !== "private_key_jwt" && method !== "client_secret_jwt")
    throw invalidClientMetadata("token_endpoint_auth_signing_alg needs a JWT authentication method");
  if (alg && !(ASSERTION_ALGS[method as "private_key_jwt" | "client_secret_jwt"] as readonly string[]).includes(alg)) {
    throw invalidClientMetadata(`token_endpoint_auth_signing_alg ${alg} does not fit ${method}`);
  }
}

/** A client may not require PAR, JAR or JARM where the server has switched it off (hardened-requests.ts). */
function checkHardeningModes(m: ClientMetadata, config: Config) {
  const conflict = conflictingClientMode(config, m);
  if (conflict) throw invalidClientMetadata(`${conflict.toUpperCase()} is disabled on this server, so the client cannot require it`);
}

/**
 * A signing alg other than none needs the client's keys; a client that must sign its request
 * objects cannot pick none (RFC 9101 §10.5). The request_uris themselves: `checkFetchedUrls`.
 */
function checkRequestObjects(m: ClientMetadata, config: Config) {
  const alg = m.request_object_signing_alg;
  if (alg && alg !== "none" && !m.jwks && !m.jwks_uri) throw invalidClientMetadata(`request_object_signing_alg ${alg} needs jwks or jwks_uri`);
  if (alg === "none" && isRequired(config, m, "jar"))
    throw invalidClientMetadata("request_object_signing_alg none contradicts a required signed request object");
}

/**
 * OIDC Back-Channel Logout §2.2: backchannel_logout_uri carries no fragment; the OP POSTs to it
 * itself, so it is also one of the `fetchedUrls`, refused by the fetch guard now rather than at
 * the first logout. OIDC Front-Channel Logout §2: frontchannel_logout_uri is loaded by the
 * user's browser in an iframe of the OP's signed-out page, so it follows the redirect URI rules
 * (absolute, no fragment, https for web clients, loopback http only in development) and the same
 * fetch guard: the OP's page must not make a browser request a host of the user's private
 * network (a router's admin page) or the OP's own origin on a client's say-so.
 */
function checkLogoutUris(m: ClientMetadata, config: Config) {
  if (m.backchannel_logout_uri?.includes("#")) throw invalidClientMetadata("backchannel_logout_uri must not contain a fragment");
  const front = m.frontchannel_logout_uri;
  if (front !== undefined) {
    checkRedirectUri(front, m.application_type, config, (d) => invalidClientMetadata(`frontchannel_logout_uri: ${d}`));
    refuseUnfetchable("frontchannel_logout_uri", front, config);
  }
}
/** OIDC DCR §2: enc needs alg; alg needs keys to encrypt to (inline keys are checked for a fitting one now). */
function checkEncryption(m: ClientMetadata, what: "id_token" | "userinfo" | "authorization") {
  const alg = m[`${what}_encrypted_response_alg`];
  const enc = m[`${what}_encrypted_response_enc`];
  if (enc && !alg) throw invalidClientMetadata(`${what}_encrypted_response_enc needs ${what}_encrypted_response_alg`);
  if (!alg) return;
  if (!m.jwks && !m.jwks_uri) throw invalidClientMetadata(`${what}_encrypted_response_alg needs jwks or jwks_uri`);
  const kty = alg.startsWith("RSA") ? "RSA" : "EC";
  if (m.jwks && !m.jwks.keys.some((k) => k.kty === kty && (k.use === undefined || k.use === "enc"))) {
    throw invalidClientMetadata(`jwks has no ${kty} encryption key for ${alg}`);
  }
}

/**
 * Every URL in the metadata that the OP will fetch (RFC 7591 §5, RFC 9101 §10.4.1, OIDC DCR §2):
 * refused now by the same guard the fetcher applies (rules/fetch-guard.ts), so a URL that could
 * never be fetched shows at registration. Add a member here when the OP starts fetching it
 * (notification endpoints, …); backchannel_logout_uri is POSTed to (storage client-documents.ts
 * postToClient, under the same guard).
 */
function fetchedUrls(m: ClientMetadata): { member: string; uri: string }[] {
  return [
    ...(m.jwks_uri ? [{ member: "jwks_uri", uri: m.jwks_uri }] : []),
    ...(m.backchannel_logout_uri ? [{ member: "backchannel_logout_uri", uri: m.backchannel_logout_uri }] : []),
    ...(m.sector_identifier_uri ? [{ member: "sector_identifier_uri", uri: m.sector_identifier_uri }] : []),
    ...(m.request_uris ?? []).map((uri) => ({ member: "request_uris", uri })),
  ];
}

function checkFetchedUrls(m: ClientMetadata, config: Config) {
  for (const { member, uri } of fetchedUrls(m)) refuseUnfetchable(member, uri, config);
}

function refuseUnfetchable(member: string, uri: string, config: Config) {
  const refusal = fetchRefusal(uri, config);
  if (refusal) {
    const allowed = config.development ? `${FETCHABLE_URL_RULE}, or http(s) to loopback in development` : FETCHABLE_URL_RULE;
    throw invalidClientMetadata(`${member}: ${uri} is not a URL this OP fetches (${refusal}); it must be ${allowed}`);
  }
}

function localizedMembers(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    const [member, tag] = key.split("#");
    if (!tag || !(LOCALIZABLE as readonly string[]).includes(member!)) continue;
    if (typeof value !== "string" || !/^[A-Za-z0-9-]{1,35}$/.test(tag)) throw invalidClientMetadata(`${key} is invalid`);
    if (URL_MEMBERS.has(member!) && !z.url({ protocol: /^https?$/ }).safeParse(value).success) throw invalidClientMetadata(`${key} must be a URL`);
    out[key] = value;
  }
  return out;
}
