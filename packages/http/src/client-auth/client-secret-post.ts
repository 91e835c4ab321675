import type { PresentedCredentials } from "./credentials";

/** RFC 6749 §2.3.1: client_id and client_secret in the form body. */
export function presentedClientSecretPost(params: Record<string, string>): PresentedCredentials | undefined {
  if (params.client_secret === undefined) return undefined;
  return { method: "client_secret_post", clientId: params.client_id ?? "", secret: params.client_secret };
}
