import type { Client, Env } from "@op/common";

export interface GrantContext {
  env: Env;
  client: Client;
  params: Record<string, string>;
  /** RFC 8707 resource parameters of the token request, validated. */
  resources: string[];
}

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  scope: string;
  id_token?: string;
  refresh_token?: string;
}
