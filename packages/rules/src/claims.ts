import type { ClaimsRequest, Client, Config, StandardClaims } from "@op/core";

/** OIDC Core §5.4: the claims each scope requests. */
export const SCOPE_CLAIMS: Record<string, (keyof StandardClaims)[]> = {
  profile: [
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
  ],
  email: ["email", "email_verified"],
  address: ["address"],
  phone: ["phone_number", "phone_number_verified"],
};

export const SUPPORTED_SCOPES = ["openid", "offline_access", ...Object.keys(SCOPE_CLAIMS)];

/** OIDC Core §2, §3.1.3.6: claims the OP sets about the token itself; no one releases them by consent. */
export const PROTOCOL_CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid"];

export const SUPPORTED_CLAIMS = [...PROTOCOL_CLAIMS, ...Object.values(SCOPE_CLAIMS).flat()];

/** The supported claims a `claims` request member names (OIDC Core §5.5). */
export function requestedClaimNames(member: ClaimsRequest["userinfo"]): string[] {
  return Object.keys(member ?? {}).filter((c) => SUPPORTED_CLAIMS.includes(c));
}

/** OIDC Core §5.5: the user claims a `claims` request asks the user to release, in both members, protocol claims aside. */
export function consentableClaims(claims: ClaimsRequest | undefined): string[] {
  const named = [...requestedClaimNames(claims?.userinfo), ...requestedClaimNames(claims?.id_token)];
  return [...new Set(named)].filter((c) => !PROTOCOL_CLAIMS.includes(c));
}

function matchesValue(actual: unknown, req: NonNullable<ClaimsRequest["userinfo"]>[string]): boolean {
  if (!req) return true;
  if (req.value !== undefined) return JSON.stringify(req.value) === JSON.stringify(actual);
  if (req.values !== undefined) return req.values.some((v) => JSON.stringify(v) === JSON.stringify(actual));
  return true;
}

/**
 * The user's claims released for a scope set and a `claims` request member (OIDC Core §5.4,
 * §5.5). A claim requested with `value`/`values` is released only when the user's value matches,
 * so a client cannot learn a value it did not already know.
 */
export function releaseClaims(user: StandardClaims, scopes: string[], member: ClaimsRequest["userinfo"], includeScopeClaims: boolean): Partial<StandardClaims> {
  const out: Record<string, unknown> = {};
  if (includeScopeClaims) {
    for (const scope of scopes) for (const claim of SCOPE_CLAIMS[scope] ?? []) if (user[claim] !== undefined) out[claim] = user[claim];
  }
  for (const [claim, req] of Object.entries(member ?? {})) {
    const value = (user as Record<string, unknown>)[claim];
    if (value !== undefined && SUPPORTED_CLAIMS.includes(claim) && matchesValue(value, req)) out[claim] = value;
  }
  return out as Partial<StandardClaims>;
}

/**
 * OIDC Core §5.4: the claims of the granted scopes (profile, email, address, phone) go into the
 * ID token when no access token is issued (response_type id_token), for the RP has no userinfo
 * to ask. Otherwise they are returned from userinfo, and may also ride in the ID token (§2: an ID
 * token MAY carry other claims), as many RPs expect (Auth.js reads the profile from the ID token
 * alone): the client's id_token_scope_claims decides, else ID_TOKEN_SCOPE_CLAIMS (on by default;
 * docs/configuration.md argues the choice). Refreshed ID tokens follow the same rule.
 */
export function idTokenCarriesScopeClaims(
  client: Pick<Client, "id_token_scope_claims">,
  config: Pick<Config, "idTokenScopeClaims">,
  accessTokenIssued: boolean,
): boolean {
  if (!accessTokenIssued) return true;
  return client.id_token_scope_claims ?? config.idTokenScopeClaims;
}
