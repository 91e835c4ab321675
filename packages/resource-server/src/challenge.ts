import type { AuthError } from "./errors";

export interface ChallengeContext {
  /** RFC 9728 §5.1: the URL of the protected resource's metadata, on every challenge (the kit always has one; userinfo, say, has none). */
  resourceMetadata?: string;
  /** Offer the Bearer scheme (false when DPoP is required). */
  bearer: boolean;
  /** Offer the DPoP scheme with these algorithms (RFC 9449 §7.1 algs), or not at all. */
  dpopAlgs?: readonly string[];
  /** Scopes the route needs, named on a 401 too (MCP: clients request them). */
  scope?: readonly string[];
}

/** RFC 7235 quoted-string; RFC 6750 §3 limits the characters of error_description, and so do we here. */
const quote = (value: string) => `"${value.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, "")}"`;

/**
 * The WWW-Authenticate value for a refusal: a Bearer challenge and/or a DPoP one (RFC 9449 §7.1,
 * Bearer first so that clients reading only the first challenge find resource_metadata), the
 * error on the scheme the request used. No error code when the request had no token (RFC 6750 §3.1).
 */
export function wwwAuthenticate(error: AuthError, ctx: ChallengeContext): string {
  const schemes: ("Bearer" | "DPoP")[] = [...(ctx.bearer ? (["Bearer"] as const) : []), ...(ctx.dpopAlgs ? (["DPoP"] as const) : [])];
  const preferred = error.details.scheme ?? schemes[0];
  const target = preferred && schemes.includes(preferred) ? preferred : schemes[0];
  const scope = error.details.scope ?? ctx.scope;
  return schemes
    .map((scheme) => {
      const params: [string, string][] = [];
      if (scheme === target && error.code) {
        params.push(["error", error.code], ["error_description", error.description]);
        if (error.details.acrValues?.length) params.push(["acr_values", error.details.acrValues.join(" ")]);
        if (error.details.maxAge !== undefined) params.push(["max_age", String(error.details.maxAge)]);
      }
      if (scope?.length) params.push(["scope", scope.join(" ")]);
      if (ctx.resourceMetadata) params.push(["resource_metadata", ctx.resourceMetadata]);
      if (scheme === "DPoP") params.push(["algs", ctx.dpopAlgs!.join(" ")]);
      return params.length ? `${scheme} ${params.map(([k, v]) => `${k}=${quote(v)}`).join(", ")}` : scheme;
    })
    .join(", ");
}

/** The whole refusal: status, challenge, DPoP-Nonce when asked for, and a JSON body naming the error. */
export function challengeResponse(error: AuthError, ctx: ChallengeContext): Response {
  const headers = new Headers({ "WWW-Authenticate": wwwAuthenticate(error, ctx), "Cache-Control": "no-store" });
  if (error.details.dpopNonce) headers.set("DPoP-Nonce", error.details.dpopNonce);
  if (!error.code) return new Response(null, { status: error.status, headers });
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ error: error.code, error_description: error.description }), { status: error.status, headers });
}
