import { z } from "zod";
import { type ChallengeContext, challengeResponse } from "./challenge";
import { ASYMMETRIC_ALGS, DEFAULT_DPOP_ALGS, type DpopNonceHook, type ReplayCache } from "./dpop";
import { AuthError, UpstreamError } from "./errors";
import { type KeyResolver, remoteJwks } from "./jwks";
import { authorizationServerMetadataUrl, PROTECTED_RESOURCE_WELL_KNOWN, type ProtectedResourceMetadata, protectedResourceMetadataUrl } from "./metadata";
import { cacheLifetime, DocumentCache, type FetchLike, fetchJson } from "./remote";
import { authenticateRequest, checkRequirements, type Requirements, type VerifiedToken } from "./verify";

const isLoopback = (host: string) => host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host.endsWith(".localhost");

/** An absolute https URL without fragment; http only on loopback hosts (local development). */
const httpUrl = (what: string) =>
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return !value.includes("#") && (url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url.hostname)));
      } catch {
        return false;
      }
    },
    { message: `${what} must be an absolute https URL without fragment (http only on localhost)` },
  );

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === "function", { message: `${what} must be a function` });
const seconds = (max: number) => z.number().int().min(0).max(max);

const ConfigSchema = z.strictObject({
  /** The OP's issuer identifier, exactly as its tokens' `iss`. */
  issuer: httpUrl("issuer"),
  /** This resource's identifier (RFC 8707 / RFC 9728 `resource`): the URL clients use, e.g. https://mcp.example.com/mcp. */
  resource: httpUrl("resource"),
  /** Audiences accepted besides `resource` (the token's `aud` must contain one of them). */
  additionalAudiences: z.array(z.string().min(1)).optional(),
  /** RFC 9728 scopes_supported. */
  scopesSupported: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, "a scope is a non-empty string without spaces, quotes or backslashes")).optional(),
  resourceName: z.string().optional(),
  resourceDocumentation: z.url().optional(),
  resourcePolicyUri: z.url().optional(),
  resourceTosUri: z.url().optional(),
  /** Further RFC 9728 members, merged into the document. */
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** How to reach the OP: a service binding's fetch (`env.OP.fetch.bind(env.OP)`), or global fetch. */
  fetch: fn<FetchLike>("fetch").optional(),
  /** The OP's JWKS URL; default its RFC 8414 metadata's jwks_uri. */
  jwksUri: httpUrl("jwksUri").optional(),
  /** Accepted access-token signing algorithms (asymmetric only). */
  algorithms: z.array(z.enum(ASYMMETRIC_ALGS)).min(1).optional(),
  /** Clock skew allowed on exp/iat/nbf (seconds). */
  clockTolerance: seconds(600).default(60),
  /** Bounds on caching the JWKS (seconds); cooldown: least time between refetches on an unknown kid. */
  jwks: z
    .strictObject({
      minTtl: seconds(86_400).optional(),
      maxTtl: seconds(86_400).optional(),
      defaultTtl: seconds(86_400).optional(),
      cooldown: seconds(3600).optional(),
    })
    .optional(),
  /** RFC 7662 introspection on every request (immediate revocation), with this client's credentials. */
  introspection: z
    .strictObject({
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      /** Default: the OP metadata's introspection_endpoint. */
      endpoint: httpUrl("introspection endpoint").optional(),
      authMethod: z.enum(["client_secret_basic", "client_secret_post"]).default("client_secret_basic"),
    })
    .optional(),
  /** DPoP (RFC 9449): on by default; false refuses DPoP-bound tokens. */
  dpop: z
    .union([
      z.literal(false),
      z.strictObject({
        algorithms: z.array(z.enum(ASYMMETRIC_ALGS)).min(1).optional(),
        /** How old a proof may be (seconds, default 60). */
        maxAge: seconds(600).optional(),
        /** Refuse tokens that are not DPoP-bound (RFC 9728 dpop_bound_access_tokens_required). */
        required: z.boolean().optional(),
        replay: z
          .union([z.literal(false), z.custom<ReplayCache>((v) => !!v && typeof (v as ReplayCache).use === "function", { message: "replay needs use()" })])
          .optional(),
        nonce: z
          .custom<DpopNonceHook>((v) => !!v && typeof (v as DpopNonceHook).check === "function" && typeof (v as DpopNonceHook).issue === "function", {
            message: "nonce needs check() and issue()",
          })
          .optional(),
      }),
    ])
    .default({}),
  /** RFC 8705: advertise certificate-bound tokens (bound tokens are checked either way); developmentHeader: read x-dev-tls-client-auth (never in production). */
  mtls: z.strictObject({ advertise: z.boolean().optional(), developmentHeader: z.boolean().optional() }).optional(),
  /** The URL the client addressed, when request.url is not it (behind a rewrite): for DPoP htu. */
  requestUrl: fn<(request: Request) => string>("requestUrl").optional(),
  /** Also serve the metadata at /.well-known/oauth-protected-resource (MCP clients fall back to it). */
  serveAtRoot: z.boolean().default(false),
  /** Milliseconds since the epoch (tests). */
  clock: fn<() => number>("clock").optional(),
});

export type ProtectedResourceConfig = z.input<typeof ConfigSchema>;
type Config = z.output<typeof ConfigSchema>;

/** What `authenticate` answers: the verified token, or the response to send instead. */
export type AuthResult = { ok: true; token: VerifiedToken } | { ok: false; response: Response; error: AuthError | UpstreamError };

export interface RouteRequirements extends Requirements {
  /** Introspect this request's token (default: whenever introspection is configured). */
  introspect?: boolean;
}

export interface ProtectedResource {
  readonly resource: string;
  readonly issuer: string;
  /** Where the RFC 9728 document is served (and what every challenge names). */
  readonly metadataUrl: string;
  readonly metadata: ProtectedResourceMetadata;
  /** The RFC 9728 document when `request` asks for it (GET/HEAD/OPTIONS on its path), else null. */
  metadataResponse(request: Request): Response | null;
  /** Verifies the request's token and the route's requirements; never throws for a client's error. */
  authenticate(request: Request, requirements?: RouteRequirements): Promise<AuthResult>;
  /** As authenticate, throwing AuthError / UpstreamError. */
  verify(request: Request, requirements?: RouteRequirements): Promise<VerifiedToken>;
  /** authenticate, then `handler` with the token, or the refusal. */
  protect(request: Request, requirements: RouteRequirements, handler: (token: VerifiedToken) => Response | Promise<Response>): Promise<Response>;
  /** The response for a refusal (401/403/400 with WWW-Authenticate, or 503 for an unreachable OP). */
  errorResponse(error: AuthError | UpstreamError, requirements?: RouteRequirements): Response;
}

interface ServerMetadata {
  jwks_uri?: string;
  introspection_endpoint?: string;
}
const serverMetadata = new DocumentCache<ServerMetadata>();
const SERVER_METADATA_BOUNDS = { minTtl: 60, maxTtl: 86_400, defaultTtl: 3600 };

/**
 * A protected resource (an API, an MCP server) whose tokens this OP issues. Cheap to build
 * (caches are per isolate, keyed by URL), so building one per request from `env` is fine.
 * Throws a TypeError naming every configuration problem.
 */
export function protectedResource(input: ProtectedResourceConfig): ProtectedResource {
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) throw new TypeError(`protectedResource: ${z.prettifyError(parsed.error)}`);
  const config: Config = parsed.data;
  const fetcher: FetchLike = config.fetch ?? ((r) => fetch(r));
  const clock = config.clock ?? Date.now;
  const dpop = config.dpop;
  const dpopAlgs = dpop === false ? undefined : [...(dpop.algorithms ?? DEFAULT_DPOP_ALGS)];
  const metadataUrl = protectedResourceMetadataUrl(config.resource);
  const metadataPath = new URL(metadataUrl).pathname;
  const audience = [config.resource, ...(config.additionalAudiences ?? [])];

  const metadata: ProtectedResourceMetadata = {
    resource: config.resource,
    authorization_servers: [config.issuer],
    ...(config.scopesSupported ? { scopes_supported: config.scopesSupported } : {}),
    bearer_methods_supported: ["header"],
    ...(config.resourceName ? { resource_name: config.resourceName } : {}),
    ...(config.resourceDocumentation ? { resource_documentation: config.resourceDocumentation } : {}),
    ...(config.resourcePolicyUri ? { resource_policy_uri: config.resourcePolicyUri } : {}),
    ...(config.resourceTosUri ? { resource_tos_uri: config.resourceTosUri } : {}),
    ...(config.mtls?.advertise ? { tls_client_certificate_bound_access_tokens: true } : {}),
    ...(dpopAlgs ? { dpop_signing_alg_values_supported: dpopAlgs } : {}),
    ...(dpop !== false && dpop.required ? { dpop_bound_access_tokens_required: true } : {}),
    ...config.metadata,
  };
  const metadataBody = JSON.stringify(metadata);

  const discover = () =>
    serverMetadata.get(
      authorizationServerMetadataUrl(config.issuer),
      async () => {
        const url = authorizationServerMetadataUrl(config.issuer);
        const { body, response } = await fetchJson(fetcher, url, "application/json", 5000);
        const doc = body as { issuer?: unknown; jwks_uri?: unknown; introspection_endpoint?: unknown };
        // RFC 8414 §3.3: the document must name the issuer it was fetched for.
        if (doc?.issuer !== config.issuer) throw new UpstreamError(`${url} names issuer ${String(doc?.issuer)}, not ${config.issuer}`);
        const str = (v: unknown) => (typeof v === "string" ? v : undefined);
        return {
          value: { jwks_uri: str(doc.jwks_uri), introspection_endpoint: str(doc.introspection_endpoint) },
          ttl: cacheLifetime(response, SERVER_METADATA_BOUNDS),
        };
      },
      clock(),
    );

  const jwksOptions = { fetch: fetcher, clock, ...config.jwks };
  let keys: KeyResolver | undefined = config.jwksUri ? remoteJwks(config.jwksUri, jwksOptions) : undefined;
  const resolveKeys: KeyResolver = async (header, token) => {
    if (!keys) {
      const uri = (await discover()).jwks_uri;
      if (!uri) throw new UpstreamError(`the metadata of ${config.issuer} has no jwks_uri`);
      keys = remoteJwks(uri, jwksOptions);
    }
    return keys(header, token);
  };

  async function introspect(token: string): Promise<Record<string, unknown>> {
    const settings = config.introspection!;
    const endpoint = settings.endpoint ?? (await discover()).introspection_endpoint;
    if (!endpoint) throw new UpstreamError(`the metadata of ${config.issuer} has no introspection_endpoint`);
    const form = new URLSearchParams({ token, token_type_hint: "access_token" });
    const headers = new Headers({ "content-type": "application/x-www-form-urlencoded", accept: "application/json" });
    if (settings.authMethod === "client_secret_post") {
      form.set("client_id", settings.clientId);
      form.set("client_secret", settings.clientSecret);
    } else {
      // RFC 6749 §2.3.1: each part form-urlencoded before base64.
      const enc = (v: string) => encodeURIComponent(v).replace(/%20/g, "+");
      headers.set("authorization", `Basic ${btoa(`${enc(settings.clientId)}:${enc(settings.clientSecret)}`)}`);
    }
    let response: Response;
    try {
      response = await fetcher(new Request(endpoint, { method: "POST", headers, body: form, signal: AbortSignal.timeout(5000) }));
    } catch (cause) {
      throw new UpstreamError(`${endpoint} could not be reached`, { cause });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new UpstreamError(`${endpoint} answered ${response.status}`);
    }
    const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
    if (!body || typeof body !== "object") throw new UpstreamError(`${endpoint} did not answer JSON`);
    // RFC 7662 §2.2: anything but active true is inactive: revoked, expired, or not ours to see.
    if (body.active !== true) throw new AuthError("invalid_token", "the access token is no longer active");
    return body;
  }

  const challengeContext = (requirements?: RouteRequirements): ChallengeContext => ({
    resourceMetadata: metadataUrl,
    bearer: dpop === false || !dpop.required,
    dpopAlgs,
    scope: requirements?.scopes,
  });

  async function verify(request: Request, requirements: RouteRequirements = {}): Promise<VerifiedToken> {
    const now = clock();
    const token = await authenticateRequest(request, {
      issuer: config.issuer,
      audience,
      keys: resolveKeys,
      algorithms: config.algorithms,
      clockTolerance: config.clockTolerance,
      dpop: dpop === false ? false : { algorithms: dpop.algorithms, maxAge: dpop.maxAge, replay: dpop.replay, nonce: dpop.nonce },
      developmentCertificateHeader: config.mtls?.developmentHeader,
      url: config.requestUrl?.(request),
      now,
    });
    if (dpop !== false && dpop.required && !token.dpop)
      throw new AuthError("invalid_token", "this resource accepts DPoP-bound access tokens only", { scheme: "DPoP" });
    if (config.introspection && requirements.introspect !== false) {
      try {
        token.introspection = await introspect(token.token);
      } catch (e) {
        throw e instanceof AuthError ? e.withScheme(token.scheme) : e;
      }
    }
    checkRequirements(token, requirements, now);
    return token;
  }

  function errorResponse(error: AuthError | UpstreamError, requirements?: RouteRequirements): Response {
    if (error instanceof AuthError) return challengeResponse(error, challengeContext(requirements));
    console.error(`resource server ${config.resource}: ${error.message}`, error.cause ?? "");
    return new Response(JSON.stringify({ error: "temporarily_unavailable", error_description: "the authorization server could not be reached" }), {
      status: 503,
      headers: { "Content-Type": "application/json", "Cache-Control": "no-store", "Retry-After": "5" },
    });
  }

  async function authenticate(request: Request, requirements?: RouteRequirements): Promise<AuthResult> {
    try {
      return { ok: true, token: await verify(request, requirements) };
    } catch (e) {
      if (e instanceof AuthError || e instanceof UpstreamError) return { ok: false, error: e, response: errorResponse(e, requirements) };
      throw e;
    }
  }

  const corsHeaders = { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS", "Access-Control-Max-Age": "86400" };
  function metadataResponse(request: Request): Response | null {
    const path = new URL(request.url).pathname;
    if (path !== metadataPath && !(config.serveAtRoot && path === PROTECTED_RESOURCE_WELL_KNOWN)) return null;
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: { ...corsHeaders, "Access-Control-Allow-Headers": "*" } });
    if (request.method !== "GET" && request.method !== "HEAD") return new Response(null, { status: 405, headers: { Allow: "GET, HEAD, OPTIONS" } });
    return new Response(request.method === "HEAD" ? null : metadataBody, {
      headers: { ...corsHeaders, "Content-Type": "application/json", "Cache-Control": "public, max-age=300" },
    });
  }

  return {
    resource: config.resource,
    issuer: config.issuer,
    metadataUrl,
    metadata,
    metadataResponse,
    authenticate,
    verify,
    errorResponse,
    async protect(request, requirements, handler) {
      const result = await authenticate(request, requirements);
      return result.ok ? handler(result.token) : result.response;
    },
  };
}
