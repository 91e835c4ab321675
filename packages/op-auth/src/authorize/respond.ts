import { getConfig, type Env, type OAuthError, type ResponseMode, type ValidatedAuthorizationRequest } from "@op/common";
import { queryResponse } from "./response-modes/query";
import { fragmentResponse } from "./response-modes/fragment";
import { formPostResponse } from "./response-modes/form-post";

/** Where and how an authorization response goes, once the redirect URI is trusted. */
export interface ResponseTarget {
  redirectUri: string;
  responseMode: ResponseMode;
  state?: string;
}

export const targetOf = (req: Pick<ValidatedAuthorizationRequest, "redirectUri" | "responseMode" | "state">): ResponseTarget => ({
  redirectUri: req.redirectUri,
  responseMode: req.responseMode,
  state: req.state,
});

/** One module per response mode. */
const RESPONSE_MODES: Record<ResponseMode, (redirectUri: string, params: Record<string, string>) => Response | Promise<Response>> = {
  query: queryResponse,
  fragment: fragmentResponse,
  form_post: formPostResponse,
};

/** RFC 6749 §4.1.2 with RFC 9207 `iss` in every response, success or error. */
export function authorizationResponse(env: Env, target: ResponseTarget, params: Record<string, string | undefined>): Response | Promise<Response> {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...params, state: target.state, iss: getConfig(env).issuer })) if (v !== undefined) all[k] = v;
  return RESPONSE_MODES[target.responseMode](target.redirectUri, all);
}

export function authorizationErrorResponse(env: Env, target: ResponseTarget, err: OAuthError): Response | Promise<Response> {
  return authorizationResponse(env, target, { error: err.error, error_description: err.description });
}
