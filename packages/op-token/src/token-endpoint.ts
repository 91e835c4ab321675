import { json, OAuthError, parseResources, readForm, rejectDuplicates, SUPPORTED_GRANT_TYPES, type Client, type Env } from "@op/common";
import { authenticateClient } from "./client-auth";
import type { GrantContext, TokenResponse } from "./grants/context";
import { authorizationCodeGrant } from "./grants/authorization-code";
import { refreshTokenGrant } from "./grants/refresh-token";
import { clientCredentialsGrant } from "./grants/client-credentials";

/** One module per grant; typed by the list discovery's grant_types_supported comes from, so they agree. */
const GRANTS: Record<(typeof SUPPORTED_GRANT_TYPES)[number], (ctx: GrantContext) => Promise<TokenResponse>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
};

/** RFC 6749 §3.2, §5: the token endpoint as its list of steps. */
export async function tokenEndpoint(request: Request, env: Env): Promise<Response> {
  const { params, duplicates, resources } = await readForm(request);
  rejectDuplicates(duplicates);
  const grant = selectGrant(params.grant_type);
  const client = await authenticateClient(env, request, params);
  assertClientMayUseGrant(client, params.grant_type!);
  return json(await grant({ env, client, params, resources: parseResources(resources) }));
}

function selectGrant(grantType: string | undefined) {
  if (!grantType) throw new OAuthError("invalid_request", "grant_type is required");
  const grant = (GRANTS as Record<string, (ctx: GrantContext) => Promise<TokenResponse>>)[grantType];
  if (!grant) throw new OAuthError("unsupported_grant_type", `grant_type ${grantType} is not supported`);
  return grant;
}

function assertClientMayUseGrant(client: Client, grantType: string) {
  if (!(client.grant_types as string[]).includes(grantType)) {
    throw new OAuthError("unauthorized_client", `client is not allowed the ${grantType} grant`);
  }
}
