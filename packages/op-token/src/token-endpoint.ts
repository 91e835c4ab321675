import {
  type Client,
  getConfig,
  invalidDpopProof,
  invalidRequest,
  OAuthError,
  type SUPPORTED_GRANT_TYPES,
  unauthorizedClient,
  unsupportedGrantType,
} from "@op/core";
import { json, type OpContext, type OpEnv, presentedClientCertificate, provedPossession } from "@op/http";
import type { DpopProof } from "@op/resource-server";
import { dpopRequiredRefusal, parseResources, registeredTargets } from "@op/rules";
import { type Env, resourceRegistry } from "@op/storage";
import { userinfoAudience } from "@op/tokens";
import { createMiddleware } from "hono/factory";
import { authorizationCodeGrant } from "./grants/authorization-code";
import { clientCredentialsGrant } from "./grants/client-credentials";
import type { GrantContext, TokenResponse } from "./grants/context";
import { deviceCodeGrant } from "./grants/device-code";
import { jwtBearerGrant } from "./grants/jwt-bearer";
import { refreshTokenGrant } from "./grants/refresh-token";
import { tokenExchangeGrant } from "./grants/token-exchange";

type GrantHandler = (ctx: GrantContext) => Promise<TokenResponse>;

/** One module per grant; typed by the list discovery's grant_types_supported comes from, so they agree. */
const GRANTS: Record<(typeof SUPPORTED_GRANT_TYPES)[number], GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  "urn:ietf:params:oauth:grant-type:token-exchange": tokenExchangeGrant,
  "urn:ietf:params:oauth:grant-type:jwt-bearer": jwtBearerGrant,
  "urn:ietf:params:oauth:grant-type:device_code": deviceCodeGrant,
};

const grantOf = (grantType: string | undefined): GrantHandler | undefined =>
  grantType === undefined ? undefined : (GRANTS as Record<string, GrantHandler>)[grantType];

/** RFC 6749 §5.2: a missing or unknown grant_type is refused before the client is authenticated. */
export const requireGrantType = createMiddleware<OpEnv>(async (c, next) => {
  const grantType = c.get("form").params.grant_type;
  if (!grantType) throw invalidRequest("grant_type is required");
  if (!grantOf(grantType)) throw unsupportedGrantType(`grant_type ${grantType} is not supported`);
  await next();
});

/**
 * RFC 6749 §3.2, §5: the token endpoint, after the pipeline's steps (address budget, form, grant
 * type, client authentication, client budget): the client must be allowed the grant, every
 * `resource` must be registered (RFC 8707 §2), tokens are bound to its certificate where it
 * asked (RFC 8705 §3) and to the key of its DPoP proof (RFC 9449 §5), and the grant's module
 * does the rest.
 */
export async function tokenEndpoint(c: OpContext): Promise<Response> {
  const { params, resources: values, audiences } = c.get("form");
  const client = c.get("client");
  const grantType = params.grant_type!;
  assertClientMayUseGrant(client, grantType);
  const resources = parseResources(values);
  const registry = await resourceRegistry(c.env);
  const { targets, userinfo } = registeredTargets(registry, resources, userinfoAudience(getConfig(c.env).issuer));
  const boundThumbprint = certificateBinding(c.env, c.req.raw, client);
  const dpopJkt = dpopBinding(client, c.get("dpop"), boundThumbprint);
  const grant = grantOf(grantType)!;
  try {
    const response = await grant({ env: c.env, client, params, resources, targets, userinfo, registry, audiences, boundThumbprint, dpopJkt });
    provedPossession(c); // every grant that succeeds took a code and verifier, a token, an assertion or credentials
    return json(response);
  } catch (err) {
    // RFC 8628 §3.5: these answer only a device code the client holds, so its polling is no attacker's.
    if (err instanceof OAuthError && (err.error === "authorization_pending" || err.error === "slow_down")) provedPossession(c);
    throw err;
  }
}

/** RFC 8705 §3: clients registered for bound tokens must present their certificate. */
function certificateBinding(env: Env, request: Request, client: Client): string | undefined {
  if (!client.tls_client_certificate_bound_access_tokens) return undefined;
  const cert = presentedClientCertificate(request, getConfig(env));
  if (!cert) throw invalidRequest("this client's tokens are bound to its TLS certificate, and none was presented");
  return cert.thumbprint;
}

/**
 * RFC 9449 §5: a request with a verified proof (the pipeline's dpopProof step) gets tokens bound
 * to its key; §5.2: a client registered with dpop_bound_access_tokens must send one.
 */
function dpopBinding(client: Client, proof: DpopProof | undefined, certificateThumbprint: string | undefined): string | undefined {
  const refusal = dpopRequiredRefusal(client, { present: proof !== undefined, certificateBound: certificateThumbprint !== undefined });
  if (refusal) throw invalidDpopProof(refusal);
  return proof?.jkt;
}

/** RFC 6749 §5.2 unauthorized_client: the grant must be among the client's registered grant_types. */
function assertClientMayUseGrant(client: Client, grantType: string) {
  if (!(client.grant_types as string[]).includes(grantType)) throw unauthorizedClient(`client is not allowed the ${grantType} grant`);
}
