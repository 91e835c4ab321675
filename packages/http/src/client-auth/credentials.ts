import { OAuthError } from "@op/core";

/** How a request presented credentials; client_assertion covers private_key_jwt and client_secret_jwt. */
export type PresentedMethod = "client_secret_basic" | "client_secret_post" | "client_assertion" | "none";

/** What the request presented, before anything is checked against the client. */
export interface PresentedCredentials {
  method: PresentedMethod;
  clientId: string;
  secret?: string;
  assertion?: string;
}

/** RFC 6749 §2.3.1 / §5.2: authentication failures are 401 with a challenge. */
export function invalidClient(description: string, issuer: string): OAuthError {
  return new OAuthError("invalid_client", description, { status: 401, headers: { "WWW-Authenticate": `Basic realm="${issuer}"` } });
}
