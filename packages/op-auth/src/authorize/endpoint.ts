import { OAuthError } from "@op/core";
import { rejectDuplicates } from "@op/http";
import type { Env } from "@op/storage";
import { errorPage } from "../html";
import { proceed } from "./proceed";
import { checkAuthorizationRequest } from "./request";
import { resolveAuthorizationRequest } from "./request-object/resolve";
import { authorizationErrorResponse, type ResponseTarget } from "./respond";
import { loadClient, provisionalResponseMode, provisionalTarget, readAuthorizationParams, resolveRedirectUri } from "./validate";

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST. Until the
 * client and its redirect URI are trusted, errors are shown as a page; after, they are
 * redirected with state and iss. The parameters come from the query, a request object (RFC
 * 9101) or a pushed request (RFC 9126); while a request object is read, errors go to the
 * outside redirect_uri only if it is registered.
 */
export async function authorizationEndpoint(request: Request, env: Env): Promise<Response> {
  let target: ResponseTarget | undefined;
  try {
    const { params: outside, duplicates, resources: outsideResources } = await readAuthorizationParams(request);
    if (duplicates.includes("client_id") || duplicates.includes("redirect_uri")) rejectDuplicates(duplicates);
    const client = await loadClient(env, outside.client_id);
    target = provisionalTarget(env, client, outside);
    rejectDuplicates(duplicates);
    const { params: raw, resources } = await resolveAuthorizationRequest(env, client, outside, outsideResources);
    target = undefined;
    const redirectUri = resolveRedirectUri(client, raw.redirect_uri);
    target = { client, redirectUri, responseMode: provisionalResponseMode(raw, client, env), state: raw.state };
    const req = await checkAuthorizationRequest(env, client, raw, resources, target);
    return await proceed(env, request, client, req);
  } catch (err) {
    if (!(err instanceof OAuthError)) throw err;
    return target ? authorizationErrorResponse(env, target, err) : errorPage(err);
  }
}
