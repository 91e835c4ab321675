import {
  type DeliveredResponseMode,
  type HardeningMode,
  invalidRequest,
  isJwtResponseMode,
  isResponseMode,
  normalizeResponseType,
  type OAuthError,
  unsupportedResponseMode,
} from "@op/core";

/** Whether a response type returns a token (ID or access) from the authorization endpoint. */
export const returnsTokens = (type: string) => type.split(" ").some((w) => w === "token" || w === "id_token");

/** Multiple Response Types §2.1 / §5: query for code and none, fragment whenever a token comes back. */
export const defaultResponseMode = (type: string): DeliveredResponseMode => (returnsTokens(type) ? "fragment" : "query");

/** JARM §2.3.4: `jwt` is the default transport as a JWT: query.jwt without tokens, fragment.jwt with them. */
export const jwtResponseMode = (type: string): DeliveredResponseMode => `${defaultResponseMode(type)}.jwt` as DeliveredResponseMode;

export interface ResponseModeRequest {
  /** The request's response_mode, as sent. */
  requested: string | undefined;
  /** The request's response_type, as sent (unchecked). */
  responseType: string | undefined;
  /** JARM: the server's mode, and the client's effective one (hardening.ts effectiveMode). */
  jarmServer: HardeningMode;
  jarmClient: HardeningMode;
  /** The client encrypts its authorization responses (JARM §2.2). */
  encrypted: boolean;
}

/**
 * The response mode of an authorization request, the one rule for both uses: `mode` is how the
 * response goes, and also how an error goes before the request is checked (the requested
 * transport if it may carry the response, else the type's default; as a JWT where JARM applies);
 * `refusal` is why the requested mode is not allowed, if it is not:
 * - OAuth 2.0 Response Modes / JARM §3: an unknown mode, or a JWT mode where JARM is off
 *   server-wide, is unsupported_response_mode (as oidc-provider answers);
 * - a JWT mode for a client whose JARM is disabled, or a plain mode where it is required;
 * - Multiple Response Types §5: query never carries tokens; JARM §2.3.1: query.jwt only when the
 *   JWT is encrypted.
 */
export function responseModeFor(r: ResponseModeRequest): { mode: DeliveredResponseMode; refusal?: OAuthError } {
  const type = normalizeResponseType(r.responseType ?? "");
  const known = isResponseMode(r.requested) ? r.requested : undefined;
  const jwt = r.jarmClient === "required" || (r.jarmClient !== "disabled" && known !== undefined && isJwtResponseMode(known));
  const transport = known === undefined || known === "jwt" ? undefined : known.replace(/\.jwt$/, "");
  const queryAllowed = !returnsTokens(type) || (jwt && r.encrypted);
  const plain = (transport === "query" && !queryAllowed ? undefined : transport) ?? defaultResponseMode(type);
  const mode = (jwt ? `${plain}.jwt` : plain) as DeliveredResponseMode;
  return { mode, refusal: responseModeRefusal(r, type) };
}

function responseModeRefusal(r: ResponseModeRequest, type: string): OAuthError | undefined {
  const requested = r.requested ?? (r.jarmClient === "required" ? "jwt" : defaultResponseMode(type));
  if (!isResponseMode(requested) || (isJwtResponseMode(requested) && r.jarmServer === "disabled")) {
    return unsupportedResponseMode(`response_mode ${requested} is not supported`);
  }
  if (isJwtResponseMode(requested) && r.jarmClient === "disabled")
    return invalidRequest(`response_mode ${requested} is not allowed for this client (JARM is disabled for it)`);
  if (!isJwtResponseMode(requested) && r.jarmClient === "required")
    return invalidRequest(`this client must use a JWT response mode (JARM); response_mode ${requested} is not allowed`);
  const mode = requested === "jwt" ? jwtResponseMode(type) : requested;
  if (mode === "query" && returnsTokens(type)) return invalidRequest("response_mode query cannot carry tokens");
  if (mode === "query.jwt" && returnsTokens(type) && !r.encrypted)
    return invalidRequest("response_mode query.jwt cannot carry tokens unless the response is encrypted");
  return undefined;
}
