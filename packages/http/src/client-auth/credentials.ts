/** How a request presented credentials; client_assertion covers private_key_jwt and client_secret_jwt. */
export type PresentedMethod = "client_secret_basic" | "client_secret_post" | "client_assertion" | "none";

/** What the request presented, before anything is checked against the client. */
export interface PresentedCredentials {
  method: PresentedMethod;
  clientId: string;
  secret?: string;
  assertion?: string;
}
