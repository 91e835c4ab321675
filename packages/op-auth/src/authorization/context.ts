import type { AuthorizationParams, ClaimsRequest, Client, DeliveredResponseMode, ResponseType, ValidatedAuthorizationRequest } from "@op/core";
import type { OpContext } from "@op/http";
import { type Arrival, spaceSeparated } from "@op/rules";
import type { Env } from "@op/storage";

/** The endpoints built from the one step table (steps.ts), as oidc-provider builds its authorization endpoints. */
export type Endpoint = "authorize" | "par" | "device_authorization";

/** Where and how an authorization response goes, once the client and its redirect URI are trusted. */
export interface ResponseTarget {
  client: Client;
  redirectUri: string;
  responseMode: DeliveredResponseMode;
  state?: string;
}

/** The target of a validated request (kept in an Interaction, so resumed flows answer where the request said). */
export const targetOf = (req: Pick<ValidatedAuthorizationRequest, "redirectUri" | "responseMode" | "state">, client: Client): ResponseTarget => ({
  client,
  redirectUri: req.redirectUri,
  responseMode: req.responseMode,
  state: req.state,
});

/** What the steps learn about a request, each field written by exactly one step (steps.ts). */
export interface AuthorizationFields {
  /** The parameters as they arrived (query or form), before any request object. */
  outside: Record<string, string>;
  outsideResources: string[];
  /** Parameters the query or form repeated (authorize; the pipeline refused them for the others). */
  duplicates: string[];
  client: Client;
  /** Where errors go while a request object or pushed request is read (authorize only). */
  provisionalTarget: ResponseTarget | undefined;
  /** The parameters the request is checked with, wherever they came from (RFC 9101 §5, RFC 9126 §4). */
  resolved: { params: Record<string, string>; resources: string[]; requestObject: Arrival["requestObject"] };
  redirectUri: string;
  /** RFC 6749 §4.1.3: whether the request named its redirect URI, so the token request must too. */
  redirectUriSent: boolean;
  params: AuthorizationParams;
  /** The scope parameter as sent (every endpoint of the table has one). */
  requestedScope: string | undefined;
  responseType: ResponseType;
  responseMode: DeliveredResponseMode;
  /** Where the response and its errors go, once redirect URI and mode are known. */
  target: ResponseTarget;
  scopes: string[];
  prompt: ValidatedAuthorizationRequest["prompt"];
  maxAge: number | undefined;
  idTokenHintSub: string | undefined;
  claims: ClaimsRequest | undefined;
  pkce: Pick<ValidatedAuthorizationRequest, "codeChallenge" | "codeChallengeMethod">;
  display: ValidatedAuthorizationRequest["display"];
  resources: string[];
  /** PAR (RFC 9449 §10.1): the key of the request's DPoP proof, if it had one (the pipeline verified it). */
  dpopProofJkt: string | undefined;
  /** RFC 9449 §10: the key the code will be bound to (dpop_jkt, or at PAR the proof's). */
  dpopJkt: string | undefined;
}

/**
 * The state of one request through the step table. A field is written once, by the step that
 * owns it, and read by later ones; writing it twice or reading it before it exists is a bug in
 * the table, so both throw.
 */
export class AuthorizationContext {
  private readonly fields: Partial<AuthorizationFields> = {};

  constructor(
    readonly env: Env,
    readonly request: Request,
    readonly endpoint: Endpoint,
  ) {}

  set<K extends keyof AuthorizationFields>(name: K, value: AuthorizationFields[K]): void {
    if (name in this.fields) throw new Error(`authorization step wrote ${name} twice`);
    this.fields[name] = value;
  }

  get<K extends keyof AuthorizationFields>(name: K): AuthorizationFields[K] {
    if (!(name in this.fields)) throw new Error(`authorization step read ${name} before it was written`);
    return this.fields[name] as AuthorizationFields[K];
  }

  has(name: keyof AuthorizationFields): boolean {
    return name in this.fields;
  }

  /**
   * RFC 6749 §4.1.2.1: where an error may be sent right now. Once the request's own redirect URI
   * and mode are known, there; while a request object is being read, the outside redirect URI if
   * it is registered; in between, and before, nowhere (the error is a page).
   */
  errorTarget(): ResponseTarget | undefined {
    if (this.has("target")) return this.get("target");
    if (this.has("provisionalTarget") && !this.has("resolved")) return this.get("provisionalTarget");
    return undefined;
  }

  /** The request as the rest of the flow keeps it (in an Interaction, a pushed request's record, a code). */
  validatedRequest(): ValidatedAuthorizationRequest {
    const params = this.get("params");
    return {
      clientId: this.get("client").client_id,
      redirectUri: this.get("redirectUri"),
      redirectUriSent: this.get("redirectUriSent"),
      responseType: this.get("responseType"),
      responseMode: this.get("responseMode"),
      scopes: this.get("scopes"),
      state: params.state,
      nonce: params.nonce,
      prompt: this.get("prompt"),
      maxAge: this.get("maxAge"),
      idTokenHintSub: this.get("idTokenHintSub"),
      loginHint: params.login_hint,
      claims: this.get("claims"),
      ...this.get("pkce"),
      acrValues: spaceSeparated(params.acr_values),
      uiLocales: spaceSeparated(params.ui_locales),
      display: this.get("display"),
      resources: this.get("resources"),
      dpopJkt: this.get("dpopJkt"),
    };
  }
}

/** The context of a client-authenticated endpoint (P, D): the pipeline has read the form and authenticated the client. */
export function authenticatedContext(c: OpContext, endpoint: Exclude<Endpoint, "authorize">): AuthorizationContext {
  const ctx = new AuthorizationContext(c.env, c.req.raw, endpoint);
  const { params, resources } = c.get("form");
  ctx.set("outside", params);
  ctx.set("outsideResources", resources);
  ctx.set("client", c.get("client"));
  ctx.set("dpopProofJkt", c.get("dpop")?.jkt);
  return ctx;
}
