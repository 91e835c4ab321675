import type { AuthorizationCodeRecord } from "@op/core";
import { base64url, sha256 } from "@op/core";

/** RFC 7636 §4.1, §4.2: verifiers and plain or S256 challenges alike are 43–128 unreserved characters. */
export const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * base64url(SHA-256(verifier)) of a well-formed verifier (RFC 7636 §4.2), computed before the
 * code's object is called, so that its check and redemption stay one synchronous step.
 */
export async function s256Of(verifier: string | undefined): Promise<string | undefined> {
  return verifier && PKCE_VALUE.test(verifier) ? base64url(await sha256(verifier)) : undefined;
}

/**
 * RFC 7636 §4.6 and RFC 9700 §2.1.1 (a verifier without a challenge is refused too: PKCE
 * downgrade): why the presented verifier fails the code's challenge, or null when it passes.
 */
export function pkceRefusal(
  code: Pick<AuthorizationCodeRecord, "codeChallenge" | "codeChallengeMethod">,
  verifier: string | undefined,
  s256: string | undefined,
): string | null {
  if (!code.codeChallenge) return verifier !== undefined ? "code_verifier sent but no code_challenge was in the authorization request" : null;
  if (!verifier) return "code_verifier is required";
  if (!PKCE_VALUE.test(verifier)) return "code_verifier is malformed";
  const computed = code.codeChallengeMethod === "plain" ? verifier : s256;
  return computed === code.codeChallenge ? null : "code_verifier does not match code_challenge";
}
