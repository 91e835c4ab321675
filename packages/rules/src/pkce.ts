import { type AuthorizationCodeRecord, base64url, type Client, invalidRequest, sha256 } from "@op/core";

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

/**
 * RFC 7636 §4.3 with RFC 9700 §2.1.1: a request that issues a code carries a challenge when the
 * client is public or asked for PKCE; the method defaults to plain (refused unless
 * PKCE_PLAIN_ENABLED), and the challenge has the verifier's syntax.
 */
export function checkCodeChallenge(
  params: { code_challenge?: string; code_challenge_method?: string },
  opts: { required: boolean; plainAllowed: boolean },
): { codeChallenge?: string; codeChallengeMethod?: "S256" | "plain" } {
  const { code_challenge: challenge, code_challenge_method: method } = params;
  if (challenge === undefined) {
    if (method !== undefined) throw invalidRequest("code_challenge_method without code_challenge");
    if (opts.required) throw invalidRequest("PKCE code_challenge is required for this client");
    return {};
  }
  const m = method ?? "plain";
  if (m !== "S256" && !(m === "plain" && opts.plainAllowed)) throw invalidRequest(`code_challenge_method ${m} is not supported`);
  if (!PKCE_VALUE.test(challenge)) throw invalidRequest("code_challenge is malformed");
  return { codeChallenge: challenge, codeChallengeMethod: m };
}

/** RFC 9700 §2.1.1: public clients must use PKCE; others may ask for it (require_pkce). Only requests that issue a code are concerned. */
export const pkceRequired = (client: Pick<Client, "token_endpoint_auth_method" | "require_pkce">, responseType: string): boolean =>
  responseType.split(" ").includes("code") && (client.token_endpoint_auth_method === "none" || client.require_pkce === true);
