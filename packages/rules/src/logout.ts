import { sha256b64url } from "@op/core";

/**
 * The logout rules: what a logout token says and how its delivery is judged (OIDC Back-Channel
 * Logout 1.0), the front-channel iframe URL (OIDC Front-Channel Logout 1.0), session_state (OIDC
 * Session Management 1.0), when RP-initiated logout must ask the user (OIDC RP-Initiated Logout
 * 1.0), and the third-party login initiation URL (OIDC Core §4).
 */

/** OIDC Back-Channel Logout §2.4: the member of `events` that makes a JWT a logout token. */
export const BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout";

export interface LogoutTokenInput {
  issuer: string;
  clientId: string;
  /** The `sub` this client sees (pairwise or public, OIDC Core §8). */
  sub: string;
  sid: string;
  /** Seconds since the epoch. */
  iat: number;
  ttl: number;
  jti: string;
}

/**
 * OIDC Back-Channel Logout §2.4: iss, aud, iat, exp, jti, events with the back-channel logout
 * event as an empty object, sub and sid (this OP names both: every session has a sid, and its ID
 * tokens carry it, so an RP that asked for backchannel_logout_session_required gets it and one
 * that did not may ignore it), and never a nonce, so that a logout token cannot pass as an ID token.
 */
export function logoutTokenClaims(t: LogoutTokenInput): Record<string, unknown> {
  return {
    iss: t.issuer,
    aud: t.clientId,
    iat: t.iat,
    exp: t.iat + t.ttl,
    jti: t.jti,
    sub: t.sub,
    sid: t.sid,
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
  };
}

/** What one back-channel request came to: an HTTP status, or no answer at all. */
export type BackchannelAnswer = number | "timeout" | "unreachable";
export type BackchannelOutcome = "delivered" | "retry" | "refused";

/**
 * OIDC Back-Channel Logout §2.8: 200 means the RP logged out (any 2xx is taken as that); 400 means
 * it refused the token, and so does any other answer that sending the same claims again cannot
 * change (4xx, 501, a redirect: redirects are not followed, RFC 9700 §4.11). No answer, 408, 425,
 * 429 and the other 5xx are passing faults, retried (§2.8: "the OP may retry").
 */
export function backchannelOutcome(answer: BackchannelAnswer): BackchannelOutcome {
  if (answer === "timeout" || answer === "unreachable") return "retry";
  if (answer >= 200 && answer < 300) return "delivered";
  if (answer === 408 || answer === 425 || answer === 429) return "retry";
  if (answer >= 500 && answer !== 501) return "retry";
  return "refused";
}

/** Milliseconds between the attempts of one back-channel delivery: 10 s, 30 s, 2 min, 10 min, 30 min. */
export const BACKCHANNEL_RETRY_DELAYS_MS = [10_000, 30_000, 120_000, 600_000, 1_800_000] as const;

/**
 * OIDC Back-Channel Logout §2.8 leaves retries to the OP: after `attempts` attempts, how long
 * until the next one (growing, so a struggling RP is not hammered), or null when the delivery has
 * had all six and is given up (about 45 minutes after the logout).
 */
export function backchannelRetryDelay(attempts: number): number | null {
  if (!Number.isInteger(attempts) || attempts < 1) return 0;
  return BACKCHANNEL_RETRY_DELAYS_MS[attempts - 1] ?? null;
}

/**
 * OIDC Front-Channel Logout §2-§3: the RP's frontchannel_logout_uri with iss and sid added (both
 * or neither; this OP always sends both, since its sessions always have a sid), its own query
 * kept. Null when the registered value is not an absolute URI.
 */
export function frontchannelLogoutUrl(uri: string, session: { issuer: string; sid: string }): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  url.searchParams.set("iss", session.issuer);
  url.searchParams.set("sid", session.sid);
  url.hash = "";
  return url.href;
}

/**
 * OIDC Session Management §3: session_state = hash(client_id, the RP's origin, the OP browser
 * state, a salt) "." salt, with SHA-256 over the four joined by spaces, base64url. The
 * check_session_iframe computes the same from the browser-state cookie and the origin of the
 * message it receives, so a message from another origin, or after the browser state changed,
 * does not match.
 */
export async function sessionState(input: { clientId: string; origin: string; browserState: string; salt: string }): Promise<string> {
  const hash = await sha256b64url(`${input.clientId} ${input.origin} ${input.browserState} ${input.salt}`);
  return `${hash}.${input.salt}`;
}

/** OIDC Session Management §3: the RP origin a session_state is bound to: that of the redirect URI (scheme, host, port). */
export function rpOrigin(redirectUri: string): string | null {
  try {
    const url = new URL(redirectUri);
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

export interface LogoutHints {
  /** The `sub` of a verified id_token_hint, as its client sees it. */
  hintSub?: string;
  hintSid?: string;
  /** Whether a logout_hint was given, and whether it names the session's user. */
  logoutHint?: { matches: boolean };
}

/**
 * OIDC RP-Initiated Logout §2: the OP MUST ask the user whether to log out unless an id_token_hint
 * ties the request to the current session (its sub is the session user's, as the hint's client
 * sees it, and its sid, when present, this session's). A logout_hint that names someone else
 * also makes the OP ask (§2: the OP decides what a logout_hint means; here it is a username).
 */
export function logoutNeedsConfirmation(hints: LogoutHints, session: { sub: string; sid: string }): boolean {
  if (hints.hintSub === undefined || hints.hintSub !== session.sub) return true;
  if (hints.hintSid !== undefined && hints.hintSid !== session.sid) return true;
  return hints.logoutHint !== undefined && !hints.logoutHint.matches;
}

/**
 * OIDC Core §4: how a third party (the OP's own pages, a portal) starts a login at a client: its
 * initiate_login_uri with iss, and login_hint and target_link_uri when given. Null when the
 * client registered no initiate_login_uri.
 */
export function initiateLoginUrl(initiateLoginUri: string | undefined, params: { issuer: string; loginHint?: string; targetLinkUri?: string }): string | null {
  if (!initiateLoginUri) return null;
  const url = new URL(initiateLoginUri);
  url.searchParams.set("iss", params.issuer);
  if (params.loginHint !== undefined) url.searchParams.set("login_hint", params.loginHint);
  if (params.targetLinkUri !== undefined) url.searchParams.set("target_link_uri", params.targetLinkUri);
  return url.href;
}
