import { type AuthenticatedClient, getConfig, invalidClient, invalidRequest, TLS_AUTH_METHODS, type TokenAuthMethod } from "@op/core";
import type { Env } from "@op/storage";
import { clientObject, freshClient, isPlausibleClientId } from "@op/storage";
import { presentedClientCertificate } from "../client-certificate";
import { presentedClientAssertion, verifyClientAssertion } from "./client-assertion";
import { presentedClientSecretBasic } from "./client-secret-basic";
import { presentedClientSecretPost } from "./client-secret-post";
import type { PresentedCredentials } from "./credentials";
import { presentedNone } from "./none";
import { verifySelfSignedTlsClientAuth, verifyTlsClientAuth } from "./tls-client-auth";

export { JWT_BEARER_ASSERTION_TYPE } from "./client-assertion";
export { SIGNED_JWT_FAILURES, type SignedJwtFailure, verifyClientSignedJwt } from "./client-signed-jwt";

/**
 * Authenticates the client at the token, introspection, revocation, device authorization and
 * PAR endpoints (one code for both Workers). RFC 6749 §2.3: exactly one method per
 * request; it must be the client's registered token_endpoint_auth_method. Clients are read
 * from their Durable Object, never from the KV cache, so a deleted client fails at once; the
 * same read brings the operator's grants (what the client may obtain without a user).
 */
export async function authenticateClient(env: Env, request: Request, params: Record<string, string>): Promise<AuthenticatedClient> {
  const presented = presentedCredentials(request, params);
  if (params.client_id !== undefined && params.client_id !== presented.clientId) {
    throw invalidRequest("client_id does not match the authenticated client");
  }
  const client = await verifyCredentials(env, presented, request);
  if (!client) throw invalidClient("client authentication failed");
  if (!methodMatches(client.token_endpoint_auth_method, presented.method)) {
    throw invalidClient(`client must authenticate with ${client.token_endpoint_auth_method}`);
  }
  return client;
}

/** A bare client_id stands for `none`, or for a TLS method whose certificate verifyCredentials checked. */
const methodMatches = (registered: TokenAuthMethod, presented: PresentedCredentials["method"]) => {
  if (presented === "client_assertion") return registered === "private_key_jwt" || registered === "client_secret_jwt";
  if (presented === "none") return registered === "none" || (TLS_AUTH_METHODS as readonly string[]).includes(registered);
  return registered === presented;
};

function presentedCredentials(request: Request, params: Record<string, string>): PresentedCredentials {
  const presentations = [presentedClientSecretBasic(request), presentedClientSecretPost(params), presentedClientAssertion(params)].filter(
    (p) => p !== undefined,
  );
  if (presentations.length > 1) throw invalidRequest("only one client authentication method may be used");
  const presented = presentations[0] ?? presentedNone(params);
  if (!presented?.clientId) throw invalidClient("client authentication is required");
  return presented;
}

async function verifyCredentials(env: Env, presented: PresentedCredentials, request: Request): Promise<AuthenticatedClient | null> {
  if (!isPlausibleClientId(presented.clientId)) return null;
  switch (presented.method) {
    case "none": {
      const client = await freshClient(env, presented.clientId);
      const cert = client && presentedClientCertificate(request, getConfig(env));
      if (client?.token_endpoint_auth_method === "tls_client_auth") return verifyTlsClientAuth(client, cert ?? undefined) ? client : null;
      if (client?.token_endpoint_auth_method === "self_signed_tls_client_auth")
        return (await verifySelfSignedTlsClientAuth(client, cert ?? undefined)) ? client : null;
      return client;
    }
    case "client_assertion":
      return verifyClientAssertion(env, presented, new URL(request.url).pathname);
    default:
      return clientObject(env, presented.clientId).authenticateSecret(presented.secret ?? "");
  }
}
