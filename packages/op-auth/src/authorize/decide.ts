import { accessDenied, consentRequired, loginRequired, type OAuthError, type SessionRecord, type ValidatedAuthorizationRequest } from "@op/core";
import { requestedClaimNames } from "@op/rules";
import type { ConsentRecord } from "@op/storage";

export type Decision = { kind: "login" } | { kind: "consent" } | { kind: "issue"; session: SessionRecord } | { kind: "error"; error: OAuthError };

export interface InteractionProgress {
  loggedInAt?: number;
  consentedAt?: number;
}

/** The scopes and claims this request asks the user to release. */
export function consentScope(req: ValidatedAuthorizationRequest) {
  const claims = [...new Set([...requestedClaimNames(req.claims?.userinfo), ...requestedClaimNames(req.claims?.id_token)])].filter(
    (c) => !["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"].includes(c),
  );
  return { scopes: req.scopes, claims };
}

function consentCovers(consent: ConsentRecord | null, req: ValidatedAuthorizationRequest): boolean {
  const wanted = consentScope(req);
  if (!consent) return false;
  return wanted.scopes.every((s) => consent.scopes.includes(s)) && wanted.claims.every((c) => consent.claims.includes(c));
}

/** The value-restricted sub a `claims` request may pin (OIDC Core §5.5.1), as the client sees subjects. */
function requiredSub(req: ValidatedAuthorizationRequest): string | undefined {
  const r = req.claims?.id_token?.sub ?? req.claims?.userinfo?.sub;
  return typeof r?.value === "string" ? r.value : undefined;
}

/**
 * OIDC Core §3.1.2.3: does this request need the user? `prompt`, `max_age`, `id_token_hint`
 * and a pinned `sub` can each demand a fresh login; prompt=none turns any needed interaction
 * into login_required / consent_required (§3.1.2.6). `sessionSub` is the session user's sub as
 * this client sees it (pairwise or public, OIDC Core §8), the value a hint or claims request names.
 */
export function decide(
  req: ValidatedAuthorizationRequest,
  session: SessionRecord | null,
  sessionSub: string | undefined,
  consent: ConsentRecord | null,
  progress: InteractionProgress,
  nowMs = Date.now(),
): Decision {
  const loggedInHere = progress.loggedInAt !== undefined;
  const pinnedSub = req.idTokenHintSub ?? requiredSub(req);
  const mustLogin =
    !session ||
    (!loggedInHere && (req.prompt.includes("login") || req.prompt.includes("select_account"))) ||
    // OIDC Core §3.1.2.1: max_age=0 is equivalent to prompt=login.
    (!loggedInHere && req.maxAge !== undefined && (req.maxAge === 0 || Math.floor(nowMs / 1000) - session.authTime > req.maxAge)) ||
    (!loggedInHere && pinnedSub !== undefined && sessionSub !== pinnedSub);
  if (mustLogin) {
    return req.prompt.includes("none") ? { kind: "error", error: loginRequired("the user must log in") } : { kind: "login" };
  }
  if (pinnedSub !== undefined && sessionSub !== pinnedSub) {
    return { kind: "error", error: accessDenied("the logged-in user is not the one the request names") };
  }
  const consentedHere = progress.consentedAt !== undefined;
  const mustConsent = !consentedHere && (req.prompt.includes("consent") || !consentCovers(consent, req));
  if (mustConsent) {
    return req.prompt.includes("none") ? { kind: "error", error: consentRequired("the user must consent") } : { kind: "consent" };
  }
  return { kind: "issue", session: session! };
}
