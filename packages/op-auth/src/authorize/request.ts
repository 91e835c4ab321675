import type { Client, ValidatedAuthorizationRequest } from "@op/core";
import { parseResources } from "@op/rules";
import type { Env } from "@op/storage";
import type { ResponseTarget } from "./respond";
import {
  checkNonce,
  checkPkce,
  checkResponseMode,
  checkResponseType,
  effectiveMaxAge,
  parseClaimsParameter,
  parseDisplay,
  parseParams,
  parsePrompt,
  rejectRegistrationParameter,
  resolveScopes,
  verifyHint,
} from "./validate";

/**
 * The checks of one authorization request once its parameters are known (from the query, a
 * request object or a pushed request) and its redirect URI is trusted. The authorization and
 * PAR endpoints both run it (RFC 9126 §2.1: a pushed request is validated like a direct one).
 */
export async function checkAuthorizationRequest(
  env: Env,
  client: Client,
  raw: Record<string, string>,
  resources: string[],
  target: ResponseTarget,
): Promise<ValidatedAuthorizationRequest> {
  const params = parseParams(raw);
  rejectRegistrationParameter(params);
  const responseType = checkResponseType(client, params);
  const responseMode = checkResponseMode(params, responseType, target, env);
  checkNonce(params, responseType);
  return {
    clientId: client.client_id,
    redirectUri: target.redirectUri,
    responseType,
    responseMode,
    scopes: resolveScopes(client, params),
    state: params.state,
    nonce: params.nonce,
    prompt: parsePrompt(params),
    maxAge: effectiveMaxAge(client, params),
    idTokenHintSub: await verifyHint(env, client, params.id_token_hint),
    loginHint: params.login_hint,
    claims: parseClaimsParameter(params),
    ...checkPkce(client, params, responseType, env),
    acrValues: params.acr_values?.split(" ").filter(Boolean),
    uiLocales: params.ui_locales?.split(" ").filter(Boolean),
    display: parseDisplay(params),
    resources: parseResources(resources),
  };
}
