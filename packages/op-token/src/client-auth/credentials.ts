import { OAuthError } from "@op/common";

export type ClientAuthMethod = "client_secret_basic" | "client_secret_post" | "none";

/** What the request presented, before anything is checked against the client. */
export interface PresentedCredentials {
  method: ClientAuthMethod;
  clientId: string;
  secret?: string;
}

/** RFC 6749 §2.3.1 / §5.2: authentication failures are 401 with a challenge. */
export function invalidClient(description: string, issuer: string): OAuthError {
  return new OAuthError("invalid_client", description, { status: 401, headers: { "WWW-Authenticate": `Basic realm="${issuer}"` } });
}
