import { getConfig, NO_STORE, type Env, type OAuthError, type ValidatedAuthorizationRequest } from "@op/common";

/** Where and how an authorization response goes, once the redirect URI is trusted. */
export interface ResponseTarget {
  redirectUri: string;
  responseMode: "query" | "fragment";
  state?: string;
}

export const targetOf = (req: Pick<ValidatedAuthorizationRequest, "redirectUri" | "responseMode" | "state">): ResponseTarget => ({
  redirectUri: req.redirectUri,
  responseMode: req.responseMode,
  state: req.state,
});

/**
 * RFC 6749 §4.1.2 with RFC 9207 `iss` in every response. Query mode keeps the redirect URI's
 * own query (RFC 6749 §3.1.2); fragment mode puts the parameters after '#'.
 */
export function authorizationResponse(env: Env, target: ResponseTarget, params: Record<string, string | undefined>): Response {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...params, state: target.state, iss: getConfig(env).issuer })) if (v !== undefined) all[k] = v;
  const url = new URL(target.redirectUri);
  if (target.responseMode === "fragment") {
    url.hash = new URLSearchParams(all).toString();
  } else {
    for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  }
  return new Response(null, { status: 303, headers: { Location: url.toString(), ...NO_STORE, "Referrer-Policy": "no-referrer" } });
}

export function authorizationErrorResponse(env: Env, target: ResponseTarget, err: OAuthError): Response {
  return authorizationResponse(env, target, { error: err.error, error_description: err.description });
}
