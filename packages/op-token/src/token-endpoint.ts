import { type Client, getConfig, OAuthError, type SUPPORTED_GRANT_TYPES } from "@op/core";
import { authenticateClient, json, presentedClientCertificate, readForm, rejectDuplicates } from "@op/http";
import { parseResources } from "@op/rules";
import { clientAddress, type Env, enforceRateLimit } from "@op/storage";
import { authorizationCodeGrant } from "./grants/authorization-code";
import { clientCredentialsGrant } from "./grants/client-credentials";
import type { GrantContext, TokenResponse } from "./grants/context";
import { deviceCodeGrant } from "./grants/device-code";
import { jwtBearerGrant } from "./grants/jwt-bearer";
import { refreshTokenGrant } from "./grants/refresh-token";
import { tokenExchangeGrant } from "./grants/token-exchange";

/** One module per grant; typed by the list discovery's grant_types_supported comes from, so they agree. */
const GRANTS: Record<(typeof SUPPORTED_GRANT_TYPES)[number], (ctx: GrantContext) => Promise<TokenResponse>> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  "urn:ietf:params:oauth:grant-type:token-exchange": tokenExchangeGrant,
  "urn:ietf:params:oauth:grant-type:jwt-bearer": jwtBearerGrant,
  "urn:ietf:params:oauth:grant-type:device_code": deviceCodeGrant,
};

/** RFC 6749 §3.2, §5: the token endpoint as its list of steps. */
export async function tokenEndpoint(request: Request, env: Env): Promise<Response> {
  await enforceRateLimit(env, "token:ip", clientAddress(request)); // before any work
  const { params, duplicates, resources, audiences } = await readForm(request);
  rejectDuplicates(duplicates);
  const grant = selectGrant(params.grant_type);
  const client = await authenticateClient(env, request, params);
  await enforceRateLimit(env, "token:client", client.client_id); // after authentication: only the client can spend its budget
  assertClientMayUseGrant(client, params.grant_type!);
  const boundThumbprint = certificateBinding(env, request, client);
  return json(await grant({ env, client, params, resources: parseResources(resources), audiences, boundThumbprint }));
}

/** RFC 8705 §3: clients registered for bound tokens must present their certificate. */
function certificateBinding(env: Env, request: Request, client: Client): string | undefined {
  if (!client.tls_client_certificate_bound_access_tokens) return undefined;
  const cert = presentedClientCertificate(request, getConfig(env));
  if (!cert) throw new OAuthError("invalid_request", "this client's tokens are bound to its TLS certificate, and none was presented");
  return cert.thumbprint;
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
