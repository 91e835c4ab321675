import {
  type AuthorizationParams,
  AuthorizationParamsSchema,
  type ClaimsRequest,
  ClaimsRequestSchema,
  type Client,
  invalidRequest,
  normalizeResponseType,
  type ResponseType,
  registrationNotSupported,
  SUPPORTED_RESPONSE_TYPES,
  unauthorizedClient,
  unsupportedResponseType,
  type ValidatedAuthorizationRequest,
} from "@op/core";

/** The rules of the authorization request's parameters (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), one function each. */

/** RFC 6749 §4.1.1, OIDC Core §3.1.2.1: the parameters' types and sizes (zod); the first problem is the error. */
export function parseAuthorizationParams(raw: Record<string, string>): AuthorizationParams {
  const parsed = AuthorizationParamsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw invalidRequest(`${issue.path.join(".")}: ${issue.message}`);
}

/**
 * RFC 6749 §3.1.1 / OIDC Core §3: a supported response type (its words in any order, Multiple
 * Response Types §2) that the client registered (OIDC DCR §2 response_types).
 */
export function checkResponseType(client: Pick<Client, "response_types">, responseType: string | undefined): ResponseType {
  if (!responseType) throw invalidRequest("response_type is required");
  const normalized = normalizeResponseType(responseType);
  if (!(SUPPORTED_RESPONSE_TYPES as readonly string[]).includes(normalized)) throw unsupportedResponseType(`response_type ${responseType} is not supported`);
  if (!(client.response_types as string[]).includes(normalized)) throw unauthorizedClient("client is not registered for this response_type");
  return normalized as ResponseType;
}

/** OIDC Core §3.2.2.1, §3.3.2.11: nonce is required whenever an ID token comes from the authorization endpoint. */
export function checkNonce(nonce: string | undefined, type: ResponseType): void {
  if (type.split(" ").includes("id_token") && !nonce) throw invalidRequest("nonce is required when an ID token is returned from the authorization endpoint");
}

/** OIDC Core §6.1: passing client metadata by value is not supported (registration happens at /register). */
export function rejectRegistrationParameter(params: Pick<AuthorizationParams, "registration">): void {
  if (params.registration !== undefined) throw registrationNotSupported("the registration parameter is not supported");
}

const PROMPTS = ["none", "login", "consent", "select_account"] as const;

/** OIDC Core §3.1.2.1: known prompt values, and none alone. select_account is read as login (one account per browser). */
export function parsePrompt(prompt: string | undefined): ValidatedAuthorizationRequest["prompt"] {
  const values = (prompt ?? "").split(" ").filter(Boolean);
  for (const v of values) if (!(PROMPTS as readonly string[]).includes(v)) throw invalidRequest(`prompt ${v} is not supported`);
  if (values.includes("none") && values.length > 1) throw invalidRequest("prompt=none cannot be combined with other values");
  return [...new Set(values)] as ValidatedAuthorizationRequest["prompt"];
}

const DISPLAYS = ["page", "popup", "touch", "wap"] as const;

/** OIDC Core §3.1.2.1 display. */
export function parseDisplay(display: string | undefined): ValidatedAuthorizationRequest["display"] {
  if (display === undefined) return undefined;
  if (!(DISPLAYS as readonly string[]).includes(display)) throw invalidRequest(`display ${display} is not supported`);
  return display as ValidatedAuthorizationRequest["display"];
}

/** OIDC Core §3.1.2.1 max_age, else the client's default_max_age (OIDC DCR §2). */
export const effectiveMaxAge = (client: Pick<Client, "default_max_age">, maxAge: number | undefined): number | undefined => maxAge ?? client.default_max_age;

/** OIDC Core §5.5: the claims parameter is a JSON object of userinfo and id_token members. */
export function parseClaimsParameter(claims: string | undefined): ClaimsRequest | undefined {
  if (claims === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(claims);
  } catch {
    throw invalidRequest("claims is not valid JSON");
  }
  const parsed = ClaimsRequestSchema.safeParse(json);
  if (!parsed.success) throw invalidRequest("claims parameter is malformed");
  return parsed.data;
}

/** OIDC Core §3.1.2.1: acr_values, ui_locales and the like are space-separated lists. */
export const spaceSeparated = (value: string | undefined): string[] | undefined => value?.split(" ").filter(Boolean);
