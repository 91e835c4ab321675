// The Config plan: OIDCCDiscoveryEndpointVerification and the conditions it calls.
import { check, equal } from "../lib/assert.mjs";
import { fetchJwks } from "../lib/oidc.mjs";

const isLoopback = (u) => ["localhost", "127.0.0.1", "[::1]"].includes(new URL(u).hostname);
const isStringArray = (a) => Array.isArray(a) && a.every((s) => typeof s === "string");

/** Checks the discovery document; `dynamic` adds the Dynamic plan's stricter lists. */
export async function discoveryEndpointVerification(t, { dynamic = false } = {}) {
  const { as, raw } = t.ctx;
  equal(raw.status, 200, "discovery status"); // EnsureDiscoveryEndpointResponseStatusCodeIs200
  check(/^application\/json/.test(raw.contentType ?? ""), `discovery content-type ${raw.contentType}`);
  const rts = as.response_types_supported;
  check(isStringArray(rts), "response_types_supported missing");
  // OIDCCCheckDiscEndpointResponseTypesSupported(Dynamic): code, id_token, id_token token (OIDC Discovery §3, Core §15.2)
  for (const rt of dynamic ? ["code", "id_token", "id_token token"] : ["code"]) check(rts.includes(rt), `response_types_supported lacks "${rt}"`);
  equal(as.issuer, t.ctx.issuer, "issuer"); // CheckDiscEndpointIssuer: equals the discovery URL's base
  const iss = new URL(as.issuer);
  check(!iss.search && !iss.hash, "issuer has a query or fragment (RFC 8414 §2)");
  check(
    isStringArray(as.subject_types_supported) && as.subject_types_supported.every((s) => ["public", "pairwise"].includes(s)),
    "subject_types_supported invalid",
  );
  check(as.id_token_signing_alg_values_supported?.includes("RS256"), "id_token_signing_alg_values_supported lacks RS256 (OIDC Discovery §3)");
  for (const ep of ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "registration_endpoint", "jwks_uri"])
    check(!as[ep] || URL.canParse(as[ep]), `${ep} is not a URL`);
  check(as.authorization_endpoint && as.token_endpoint && as.jwks_uri, "authorization_endpoint, token_endpoint or jwks_uri missing");
  const jwks = await fetchJwks(as); // FetchServerKeys, ValidateServerJWKs
  check(Array.isArray(jwks.keys) && jwks.keys.length > 0, "JWKS has no keys");
  const kids = new Set();
  for (const k of jwks.keys) {
    check(k.kty && k.kid, "a JWKS key lacks kty or kid");
    check(!kids.has(k.kid) || k.use !== jwks.keys.find((x) => x.kid === k.kid && x !== k)?.use, `duplicate kid ${k.kid}`);
    kids.add(k.kid);
    // EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys (RFC 7518 §6.3.2.1)
    check(k.kty !== "oct" && !["d", "p", "q", "dp", "dq", "qi", "k"].some((m) => m in k), `key ${k.kid} is private or symmetric`);
  }
  for (const flag of ["request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"])
    if (flag in as) check(typeof as[flag] === "boolean", `${flag} is not a boolean`);
  if (as.request_object_signing_alg_values_supported && !as.request_object_signing_alg_values_supported.includes("RS256"))
    t.note("warning: request_object_signing_alg_values_supported lacks RS256");
  if (!as.claims_supported) t.note("warning: claims_supported missing");
  // OIDCCCheckDiscEndpointGrantTypesSupported(Dynamic): authorization_code (and implicit for dynamic OPs)
  if (as.grant_types_supported) {
    check(as.grant_types_supported.includes("authorization_code"), "grant_types_supported lacks authorization_code");
    if (dynamic) check(as.grant_types_supported.includes("implicit"), "grant_types_supported lacks implicit (Dynamic OPs support the implicit flow)");
  }
  if (as.scopes_supported) {
    check(as.scopes_supported.includes("openid"), "scopes_supported lacks openid");
    check(
      as.scopes_supported.every((s) => /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s)),
      "scopes_supported has an invalid scope token (RFC 6749 §3.3)",
    );
  }
  for (const m of ["ui_locales_supported", "claims_locales_supported"])
    if (as[m])
      check(
        as[m].every((l) => /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(l)),
        `${m} has an invalid language tag`,
      );
  // CheckDiscEndpointAllEndpointsAreHttps: every URL-valued member uses https. A loopback
  // development issuer is plain http by design; then every endpoint must share its origin.
  const urls = Object.entries(as).filter(([k, v]) => typeof v === "string" && (k.endsWith("_endpoint") || k.endsWith("_uri") || k === "issuer"));
  if (isLoopback(as.issuer)) {
    for (const [k, v] of urls) check(new URL(v).origin === iss.origin, `${k} leaves the issuer's origin`);
    t.note("https check: loopback development issuer over http; every endpoint shares its origin");
  } else for (const [k, v] of urls) check(new URL(v).protocol === "https:", `${k} is not https`);
  if ("code_challenge_methods_supported" in as) check(isStringArray(as.code_challenge_methods_supported), "code_challenge_methods_supported is not an array");
}

export default [{ id: "oidcc-discovery-endpoint-verification", run: (t) => discoveryEndpointVerification(t, { dynamic: t.v.dynamic }) }];
