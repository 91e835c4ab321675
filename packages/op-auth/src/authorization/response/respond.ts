import { type Client, type DeliveredResponseMode, getConfig, type OAuthError } from "@op/core";
import type { Env } from "@op/storage";
import type { ResponseTarget } from "../context";
import { formPostResponse } from "./modes/form-post";
import { formPostJwtResponse } from "./modes/form-post-jwt";
import { fragmentResponse } from "./modes/fragment";
import { fragmentJwtResponse } from "./modes/fragment-jwt";
import { queryResponse } from "./modes/query";
import { queryJwtResponse } from "./modes/query-jwt";

type ResponseModeHandler = (env: Env, client: Client, redirectUri: string, params: Record<string, string>) => Response | Promise<Response>;

/** One module per response mode; `jwt` is resolved to its transport when the request is checked (JARM §2.3.4). */
const RESPONSE_MODES: Record<DeliveredResponseMode, ResponseModeHandler> = {
  query: (_env, _client, uri, params) => queryResponse(uri, params),
  fragment: (_env, _client, uri, params) => fragmentResponse(uri, params),
  form_post: (_env, _client, uri, params) => formPostResponse(uri, params),
  "query.jwt": queryJwtResponse,
  "fragment.jwt": fragmentJwtResponse,
  "form_post.jwt": formPostJwtResponse,
};

/** RFC 6749 §4.1.2 with RFC 9207 `iss` in every response, success or error (inside the JWT under JARM). */
export async function authorizationResponse(env: Env, target: ResponseTarget, params: Record<string, string | undefined>): Promise<Response> {
  const all: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...params, state: target.state, iss: getConfig(env).issuer })) if (v !== undefined) all[k] = v;
  // A JARM response that cannot be built (no encryption key) throws: it must not fall back to a plain redirect.
  return RESPONSE_MODES[target.responseMode](env, target.client, target.redirectUri, all);
}

export function authorizationErrorResponse(env: Env, target: ResponseTarget, err: OAuthError): Promise<Response> {
  return authorizationResponse(env, target, { error: err.error, error_description: err.description });
}
