import type { AuthenticatedClient } from "@op/core";
import type { Registry, Target } from "@op/rules";
import type { Env } from "@op/storage";

export interface GrantContext {
  env: Env;
  client: AuthenticatedClient;
  params: Record<string, string>;
  /** RFC 8707 resource parameters of the token request, validated: each a registered resource or the OP's userinfo audience. */
  resources: string[];
  /** The registered resources among them (userinfo left out). */
  targets: Target[];
  /** Whether they named the OP's userinfo audience. */
  userinfo: boolean;
  /** The resource registry as this request sees it (docs/resources.md). */
  registry: Registry;
  /** RFC 8693 audience parameters, as sent. */
  audiences: string[];
  /** RFC 8705 §3: x5t#S256 the access tokens are bound to, for clients that asked for binding. */
  boundThumbprint?: string;
  /** RFC 9449 §5: the thumbprint of the key of the request's verified DPoP proof: the access tokens are bound to it. */
  dpopJkt?: string;
}

export interface TokenResponse {
  access_token: string;
  /** RFC 9449 §5: DPoP for a DPoP-bound access token. */
  token_type: "Bearer" | "DPoP";
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
  /** RFC 8693 §2.2.1 */
  issued_token_type?: string;
}
