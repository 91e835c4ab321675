/** RFC 9728 §3: the well-known suffix of protected resource metadata. */
export const PROTECTED_RESOURCE_WELL_KNOWN = "/.well-known/oauth-protected-resource";

/**
 * RFC 9728 §3.1: where the metadata of `resource` lives — the well-known suffix inserted
 * between the host and the path (and query), the slash right after the host dropped:
 * https://mcp.example.com/mcp → https://mcp.example.com/.well-known/oauth-protected-resource/mcp.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}${PROTECTED_RESOURCE_WELL_KNOWN}${path}${url.search}`;
}

/** RFC 9728 §2 members (those this kit fills in, and room for the rest). */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  resource_documentation?: string;
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  tls_client_certificate_bound_access_tokens?: boolean;
  dpop_signing_alg_values_supported?: string[];
  dpop_bound_access_tokens_required?: boolean;
  [member: string]: unknown;
}

/** RFC 8414 §3.1: the authorization server's metadata URL (well-known suffix before the issuer's path). */
export function authorizationServerMetadataUrl(issuer: string): string {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname;
  return `${url.origin}/.well-known/oauth-authorization-server${path}`;
}
