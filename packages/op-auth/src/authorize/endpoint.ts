import { OAuthError, parseResources, rejectDuplicates, type Env, type ValidatedAuthorizationRequest } from "@op/common";
import { errorPage } from "../html";
import { authorizationErrorResponse, type ResponseTarget } from "./respond";
import {
  checkNonce, checkPkce, checkResponseMode, checkResponseType, provisionalResponseMode, effectiveMaxAge, loadClient, parseClaimsParameter, parseDisplay, parseParams,
  parsePrompt, readAuthorizationParams, rejectUnsupportedParameters, resolveRedirectUri, resolveScopes, verifyHint,
} from "./validate";
import { proceed } from "./proceed";

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST. Until the
 * client and its redirect URI are trusted, errors are shown as a page; after, they are
 * redirected with state and iss.
 */
export async function authorizationEndpoint(request: Request, env: Env): Promise<Response> {
  let target: ResponseTarget | undefined;
  try {
    const { params: raw, duplicates, resources } = await readAuthorizationParams(request);
    if (duplicates.includes("client_id") || duplicates.includes("redirect_uri")) rejectDuplicates(duplicates);
    const client = await loadClient(env, raw.client_id);
    const redirectUri = resolveRedirectUri(client, raw.redirect_uri);
    target = { redirectUri, responseMode: provisionalResponseMode(raw), state: raw.state };
    rejectDuplicates(duplicates);
    const params = parseParams(raw);
    rejectUnsupportedParameters(params);
    const responseType = checkResponseType(client, params);
    const responseMode = checkResponseMode(params, responseType, target);
    checkNonce(params, responseType);
    const req: ValidatedAuthorizationRequest = {
      clientId: client.client_id,
      redirectUri,
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
    return await proceed(env, request, client, req);
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    return target ? authorizationErrorResponse(env, target, err) : errorPage(err);
  }
}
