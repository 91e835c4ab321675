import { invalidClient } from "@op/core";
import type { PresentedCredentials } from "./credentials";

/**
 * RFC 6749 §2.3.1: HTTP Basic, where client_id and client_secret are each
 * application/x-www-form-urlencoded before being joined with ":" and base64-encoded.
 */
export function presentedClientSecretBasic(request: Request): PresentedCredentials | undefined {
  const header = request.headers.get("authorization");
  if (!header || !/^basic /i.test(header)) return undefined;
  let decoded: string;
  try {
    decoded = atob(header.slice(6).trim());
  } catch {
    throw invalidClient("malformed Basic credentials");
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw invalidClient("malformed Basic credentials");
  const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
  try {
    return { method: "client_secret_basic", clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw invalidClient("malformed Basic credentials");
  }
}
