/** Every path of the issuer and the Worker that serves it (one origin, several Workers). */
export const PATHS = {
  authorization: "/authorize",
  /** RFC 9126 §2: the pushed authorization request endpoint (op-auth, beside /authorize). */
  pushedAuthorizationRequest: "/par",
  interaction: "/interaction",
  endSession: "/session/end",
  /** OIDC Session Management 1.0 §3.3: the check_session_iframe (op-auth). */
  checkSession: "/session/check",
  token: "/token",
  /** RFC 8628 §3.1 (op-auth: it shares the authorization endpoint's steps). */
  deviceAuthorization: "/device_authorization",
  /** RFC 8628 §3.3: where the user enters the user code (op-auth). */
  deviceVerification: "/device",
  userinfo: "/userinfo",
  introspection: "/introspect",
  revocation: "/revoke",
  openidConfiguration: "/.well-known/openid-configuration",
  oauthMetadata: "/.well-known/oauth-authorization-server",
  jwks: "/jwks",
  registration: "/register",
  admin: "/admin",
  /** Local development only: the mail the OP sent (MAIL_TRANSPORT=mailbox). */
  devMailbox: "/dev/mailbox",
} as const;

export type WorkerName = "op-auth" | "op-token" | "op-discovery" | "op-management";

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Which Worker serves a path. op-auth routes everything else to itself (and 404s). */
export function workerFor(path: string): WorkerName {
  if ([PATHS.token, PATHS.userinfo, PATHS.introspection, PATHS.revocation].includes(path as never)) return "op-token";
  if (under(path, "/.well-known") || path === PATHS.jwks) return "op-discovery";
  if (under(path, PATHS.registration) || under(path, PATHS.admin)) return "op-management";
  return "op-auth";
}
