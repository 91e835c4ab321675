/**
 * OIDC Core §11: a refresh token only for clients allowed the refresh_token grant, and, for
 * OpenID requests, only when offline_access was granted. Plain OAuth requests get one whenever
 * the client may refresh.
 */
export function wantsRefreshToken(grantTypes: readonly string[], scope: string): boolean {
  const scopes = scope.split(" ").filter(Boolean);
  return grantTypes.includes("refresh_token") && (scopes.includes("offline_access") || !scopes.includes("openid"));
}
