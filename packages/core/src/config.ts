import { z } from "zod";
import { isolateCache } from "./cache";
import { DEFAULT_DPOP_ALGS, DPOP_ASYMMETRIC_ALGS } from "./dpop-algs";
import { type ClientGrants, ClientGrantsSchema, NO_GRANTS, ResourceServerSchema, registryConflict } from "./schemas/resource";

const flag = (dflt: boolean) =>
  z
    .union([z.boolean(), z.enum(["true", "false", "1", "0"])])
    .optional()
    .transform((v) => (v === undefined ? dflt : v === true || v === "true" || v === "1"));
/** Disabled / optional / required, for PAR, JAR and JARM (hardened-requests.ts). */
export const HARDENING_MODES = ["disabled", "optional", "required"] as const;
export type HardeningMode = (typeof HARDENING_MODES)[number];
const hardeningMode = (dflt: HardeningMode) => z.enum(HARDENING_MODES).default(dflt);
const seconds = (dflt: number, max: number) => z.coerce.number().int().positive().max(max).default(dflt);
const UNIT_SECONDS = { s: 1, m: 60, h: 3600 } as const;
/** A rate limit "<count>/<n><s|m|h>", e.g. "50/1m" (at most a day's window), or "off". */
const rateLimit = (dflt: string) =>
  z
    .string()
    .regex(/^(off|[1-9]\d{0,6}\/[1-9]\d{0,4}[smh])$/, 'a rate limit is "<count>/<n><s|m|h>", e.g. "50/1m", or "off"')
    .optional()
    .transform((v) => {
      const m = /^(\d+)\/(\d+)([smh])$/.exec(v ?? dflt);
      return m ? { count: Number(m[1]), window: Number(m[2]) * UNIT_SECONDS[m[3] as keyof typeof UNIT_SECONDS] } : null;
    })
    .refine((r) => !r || r.window <= 86400, "a rate limit's window is at most 24h");

/** WCAG 2.2 §1.4.3: the contrast ratio of a #rrggbb colour with white, from relative luminance. */
export function contrastWithWhite(hex: string): number {
  const channel = (i: number) => {
    const v = Number.parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
  return 1.05 / (luminance + 0.05);
}

/** A setting holding JSON (a string, as `--var` and secrets give it, or the value a `[vars]` table holds), validated by `schema`. */
const jsonSetting = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value, ctx) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid JSON" });
      return z.NEVER;
    }
  }, schema);

/** The most resources one registry holds (configured and admin-managed together; resource-registry.ts). */
export const MAX_RESOURCES = 256;

/**
 * What clients the operator has not given grants get (docs/resources.md): `none`, `requested`
 * (what their metadata's `scope` and `token_exchange_audiences` ask, within the registered
 * resources: a development convenience), or a JSON ClientGrants object.
 */
const clientGrantsDefault = z.union([z.literal("none").transform((): ClientGrants => NO_GRANTS), z.literal("requested"), jsonSetting(ClientGrantsSchema)]);

/**
 * Every operator setting, parsed once per isolate from Worker variables.
 * docs/configuration.md documents each one; the metadata document is derived
 * from this object, so discovery lists exactly what is enabled.
 */
export const ConfigSchema = z
  .object({
    ISSUER: z.url().refine((u) => {
      const url = new URL(u);
      return !url.search && !url.hash && (url.protocol === "https:" || url.hostname === "localhost" || url.hostname === "127.0.0.1");
    }, "ISSUER must be an https URL without query or fragment (http only for localhost)"),
    ENVIRONMENT: z.enum(["development", "production"]).default("production"),
    ADMIN_TOKEN: z.string().min(32).optional(),
    INITIAL_ACCESS_TOKEN: z.string().min(16).optional(),
    CLIENT_SECRET_ENCRYPTION_KEY: z.string().min(32).optional(),
    PAIRWISE_SALT: z.string().min(32).optional(),
    // An hour: Authlib's client_secret_jwt and private_key_jwt assertions live that long (exp = iat + 3600).
    CLIENT_ASSERTION_MAX_LIFETIME: seconds(3600, 3600),
    CLIENT_SECRET_ROTATION_OVERLAP: seconds(86400, 30 * 86400),
    JWT_BEARER_TRUSTED_CLIENTS: z.string().optional(),
    RESOURCES: jsonSetting(z.array(ResourceServerSchema).max(MAX_RESOURCES)).optional(),
    CLIENT_GRANTS_DEFAULT: clientGrantsDefault.optional(),
    RESOURCE_CACHE_TTL: z.coerce.number().int().min(0).max(300).default(10),
    TLS_CLIENT_AUTH: z.enum(["true", "false"]).optional(),
    MTLS_ENDPOINT_ORIGIN: z.url({ protocol: /^https$/ }).optional(),
    PKCE_PLAIN_ENABLED: flag(false),
    DEV_SEED_USERS: flag(false),
    AUTHORIZATION_CODE_TTL: seconds(60, 60), // issue: codes live at most 60 s
    ACCESS_TOKEN_TTL: seconds(3600, 86400),
    ID_TOKEN_TTL: seconds(3600, 86400),
    REFRESH_TOKEN_TTL: seconds(14 * 86400, 365 * 86400),
    SESSION_TTL: seconds(14 * 86400, 365 * 86400),
    INTERACTION_TTL: seconds(600, 3600),
    DEVICE_CODE_TTL: seconds(600, 3600), // RFC 8628 §3.2 expires_in
    CLOCK_SKEW: seconds(60, 600),
    // OIDC Back-Channel Logout §2.4: logout tokens are short-lived (the spec suggests two minutes).
    LOGOUT_TOKEN_TTL: seconds(120, 600),
    // How long the end-session endpoint waits for back-channel deliveries before answering the browser (the rest continue behind it).
    BACKCHANNEL_LOGOUT_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(2000),
    // How long the logout page waits for the relying parties' front-channel iframes before going on.
    FRONTCHANNEL_LOGOUT_WAIT_MS: z.coerce.number().int().min(500).max(10_000).default(3000),
    ID_TOKEN_SCOPE_CLAIMS: flag(true),
    PASSWORD_PBKDF2_ITERATIONS: z.coerce.number().int().min(10_000).max(100_000).default(100_000),
    LOG_REQUESTS: z.enum(["true", "false"]).optional(),
    CLIENT_CACHE_TTL: z.coerce.number().int().min(60).max(86400).default(300),
    RATE_LIMIT_LOGIN_IP: rateLimit("50/1m"),
    // At least 200 requests a second, sustained, for one relying party (counted in batches: see rate-limits.ts).
    RATE_LIMIT_TOKEN_CLIENT: rateLimit("15000/1m"),
    RATE_LIMIT_TOKEN_IP: rateLimit("1200/1m"),
    RATE_LIMIT_REGISTER_IP: rateLimit("20/1h"),
    RATE_LIMIT_DEVICE_IP: rateLimit("20/1m"),
    RATE_LIMIT_FETCH_CLIENT: rateLimit("30/1m"),
    PAR_MODE: hardeningMode("optional"),
    JAR_MODE: hardeningMode("optional"),
    JARM_MODE: hardeningMode("optional"),
    // JARM §2.1: the response JWT is short-lived; the conformance suite checks 10 s ≤ lifetime ≤ 10 min.
    JARM_RESPONSE_TTL: z.coerce.number().int().min(10).max(600).default(120),
    PAR_TTL: seconds(60, 600), // RFC 9126 §2.2 expires_in
    PAR_REUSE_WINDOW: z.coerce.number().int().min(0).max(600).default(0),
    REQUEST_OBJECT_MAX_BYTES: z.coerce.number().int().min(1024).max(65536).default(16384),
    REQUEST_OBJECT_MAX_LIFETIME: seconds(3600, 86400),
    REQUEST_OBJECT_REQUIRE_JTI: flag(false),
    // RFC 9449 (docs/dpop-fapi.md): the proof algorithms accepted, how old a proof may be, and server nonces.
    DPOP_SIGNING_ALGS: z
      .string()
      .optional()
      .transform((v) => (v ?? DEFAULT_DPOP_ALGS.join(" ")).split(/[\s,]+/).filter(Boolean))
      .pipe(z.array(z.enum(DPOP_ASYMMETRIC_ALGS, { error: `DPOP_SIGNING_ALGS lists asymmetric JWS algorithms: ${DPOP_ASYMMETRIC_ALGS.join(" ")}` })).min(1)),
    DPOP_PROOF_MAX_AGE: seconds(60, 300),
    DPOP_NONCE: z.enum(["off", "token", "all"]).default("off"),
    DPOP_NONCE_WINDOW: z.coerce.number().int().min(10).max(3600).default(300),
    DPOP_NONCE_SECRET: z.string().min(32).optional(),
    LOGIN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    LOGIN_LOCKOUT_BACKOFF: seconds(1, 3600),
    LOGIN_LOCKOUT_MAX: seconds(900, 86400),
    // Outgoing mail (docs/users.md, Mail): the transport, the sender, the webhook's URL and signing secret.
    MAIL_TRANSPORT: z.enum(["send_email", "webhook", "mailbox", "none"]).optional(),
    MAIL_FROM: z.email().optional(),
    MAIL_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
    MAIL_WEBHOOK_SECRET: z.string().min(32).optional(),
    // The pages' branding (docs/pages.md).
    BRAND_NAME: z.string().min(1).max(100).optional(),
    BRAND_LOGO_URI: z.url({ protocol: /^(https|data)$/, error: "BRAND_LOGO_URI must be an https or data URL" }).optional(),
    BRAND_PRIMARY_COLOR: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, "BRAND_PRIMARY_COLOR is a #rrggbb colour")
      .refine(
        (c) => contrastWithWhite(c) >= 4.5,
        "BRAND_PRIMARY_COLOR needs a contrast of at least 4.5:1 with white (WCAG 2.2 AA): it colours links and the text on buttons",
      )
      .default("#0b57d0"),
    BRAND_CSS: z.string().max(65536).optional(),
    BRAND_TEMPLATE: z
      .string()
      .max(65536)
      .refine((t) => t.includes("{{content}}"), "BRAND_TEMPLATE must contain {{content}}")
      .optional(),
  })
  .refine((c) => c.LOGIN_LOCKOUT_MAX >= c.LOGIN_LOCKOUT_BACKOFF, {
    message: "LOGIN_LOCKOUT_MAX must be at least LOGIN_LOCKOUT_BACKOFF",
    path: ["LOGIN_LOCKOUT_MAX"],
  })
  .refine((c) => c.DPOP_NONCE === "off" || c.DPOP_NONCE_SECRET !== undefined || c.ENVIRONMENT === "development", {
    message: "DPOP_NONCE needs DPOP_NONCE_SECRET (32 characters at least) outside development",
    path: ["DPOP_NONCE_SECRET"],
  })
  .superRefine((c, ctx) => {
    const transport = c.MAIL_TRANSPORT ?? (c.ENVIRONMENT === "development" ? "mailbox" : "none");
    if (transport === "mailbox" && c.ENVIRONMENT !== "development")
      ctx.addIssue({ code: "custom", path: ["MAIL_TRANSPORT"], message: "MAIL_TRANSPORT=mailbox keeps mail in the OP: development only" });
    if (transport === "send_email" && !c.MAIL_FROM) ctx.addIssue({ code: "custom", path: ["MAIL_FROM"], message: "MAIL_TRANSPORT=send_email needs MAIL_FROM" });
    if (transport === "webhook") {
      if (!c.MAIL_WEBHOOK_URL || !c.MAIL_WEBHOOK_SECRET)
        ctx.addIssue({ code: "custom", path: ["MAIL_WEBHOOK_URL"], message: "MAIL_TRANSPORT=webhook needs MAIL_WEBHOOK_URL and MAIL_WEBHOOK_SECRET" });
      else if (c.ENVIRONMENT !== "development" && !c.MAIL_WEBHOOK_URL.startsWith("https://"))
        ctx.addIssue({ code: "custom", path: ["MAIL_WEBHOOK_URL"], message: "MAIL_WEBHOOK_URL must be https outside development" });
    }
    const resources = c.RESOURCES ?? [];
    const conflict = registryConflict(resources, `${c.ISSUER.replace(/\/$/, "")}/userinfo`);
    if (conflict) ctx.addIssue({ code: "custom", path: ["RESOURCES"], message: conflict });
    const tooLong = resources.find((r) => r.access_token_lifetime !== undefined && r.access_token_lifetime > c.ACCESS_TOKEN_TTL);
    if (tooLong) ctx.addIssue({ code: "custom", path: ["RESOURCES"], message: `resource ${tooLong.id}: access_token_lifetime exceeds ACCESS_TOKEN_TTL` });
  })
  .transform((c) => {
    const issuer = c.ISSUER.replace(/\/$/, "");
    const development = c.ENVIRONMENT === "development";
    return {
      issuer,
      development,
      adminToken: c.ADMIN_TOKEN,
      initialAccessToken: c.INITIAL_ACCESS_TOKEN,
      /** client_secret_jwt needs the secret itself (HMAC key), kept encrypted under this key; without it the method is off. */
      clientSecretEncryptionKey: c.CLIENT_SECRET_ENCRYPTION_KEY,
      /**
       * OIDC Core §8.1 pairwise subjects are keyed by this secret; without it (in production) only
       * public subjects are offered. Development derives a stable default so `start` just works.
       */
      pairwiseSalt: c.PAIRWISE_SALT ?? (development ? `development-pairwise-salt:${issuer}` : undefined),
      /** RFC 7523 §3: the longest life of a client or JWT bearer assertion (exp - now within clockSkew, and exp - iat); its jti is kept until exp. */
      clientAssertionMaxLifetime: c.CLIENT_ASSERTION_MAX_LIFETIME,
      /** How long a client's previous secret stays valid after a rotation. */
      clientSecretRotationOverlap: c.CLIENT_SECRET_ROTATION_OVERLAP,
      /**
       * RFC 8705 client certificates: on in development (DEV_CLIENT_CERT_HEADER stands in for the
       * edge), in production only once the zone's mTLS is set up and TLS_CLIENT_AUTH=true.
       */
      tlsClientAuth: c.TLS_CLIENT_AUTH ? c.TLS_CLIENT_AUTH === "true" : development,
      /** RFC 8705 §5: an origin whose hostname asks for client certificates, if not the issuer's. */
      mtlsEndpointOrigin: c.MTLS_ENDPOINT_ORIGIN?.replace(/\/$/, ""),
      /**
       * RFC 7523 §2.1 for users: clients whose signed assertions may name any user as `sub`, as
       * if their grants said `jwt_bearer: any_user`. Impersonation power: an operator's decision.
       */
      jwtBearerTrustedClients: new Set((c.JWT_BEARER_TRUSTED_CLIENTS ?? "").split(/[\s,]+/).filter(Boolean)),
      /** The resource servers of RESOURCES (read-only through the admin API; docs/resources.md). */
      configuredResources: c.RESOURCES ?? [],
      /** What a client without operator grants gets: nothing in production, what it requests in development. */
      clientGrantsDefault: c.CLIENT_GRANTS_DEFAULT ?? (development ? ("requested" as const) : NO_GRANTS),
      /** Seconds an isolate reuses its copy of the resource registry: the longest an admin change takes to apply everywhere. */
      resourceCacheTtl: c.RESOURCE_CACHE_TTL,
      /** RFC 7591 §3: open registration only in local development, otherwise behind an initial access token. */
      registration: c.INITIAL_ACCESS_TOKEN ? ("initial_access_token" as const) : development ? ("open" as const) : ("disabled" as const),
      pkcePlainEnabled: c.PKCE_PLAIN_ENABLED,
      seedDevUsers: development && c.DEV_SEED_USERS,
      ttl: {
        authorizationCode: c.AUTHORIZATION_CODE_TTL,
        accessToken: c.ACCESS_TOKEN_TTL,
        idToken: c.ID_TOKEN_TTL,
        refreshToken: c.REFRESH_TOKEN_TTL,
        session: c.SESSION_TTL,
        interaction: c.INTERACTION_TTL,
        deviceCode: c.DEVICE_CODE_TTL,
        jarmResponse: c.JARM_RESPONSE_TTL,
        logoutToken: c.LOGOUT_TOKEN_TTL,
        clientCache: c.CLIENT_CACHE_TTL,
      },
      clockSkew: c.CLOCK_SKEW,
      /** What the end-session endpoint waits for, in milliseconds (docs/logout.md): back-channel deliveries, front-channel iframes. */
      logoutWait: { backchannelMs: c.BACKCHANNEL_LOGOUT_WAIT_MS, frontchannelMs: c.FRONTCHANNEL_LOGOUT_WAIT_MS },
      /**
       * OIDC Core §5.4: whether the claims of the granted scopes ride in ID tokens issued beside an
       * access token too (they always do when none is: response_type id_token); a client's
       * id_token_scope_claims overrides it (rules/claims.ts idTokenCarriesScopeClaims).
       */
      idTokenScopeClaims: c.ID_TOKEN_SCOPE_CLAIMS,
      /** One JSON line per request; off by default in development, where wrangler logs requests itself. */
      logRequests: c.LOG_REQUESTS ? c.LOG_REQUESTS === "true" : !development,
      passwordIterations: c.PASSWORD_PBKDF2_ITERATIONS,
      /** Per key and window (durable-objects/rate-limiter.ts); null is off. Per address, only failures and requests that prove nothing count. */
      rateLimits: {
        "login:ip": c.RATE_LIMIT_LOGIN_IP,
        "token:client": c.RATE_LIMIT_TOKEN_CLIENT,
        "token:ip": c.RATE_LIMIT_TOKEN_IP,
        "register:ip": c.RATE_LIMIT_REGISTER_IP,
        "device:ip": c.RATE_LIMIT_DEVICE_IP,
        /** Documents fetched from one client's URLs (jwks_uri, request_uri, sector_identifier_uri); cache hits are free. */
        "fetch:client": c.RATE_LIMIT_FETCH_CLIENT,
      },
      /** Per account: from the threshold-th consecutive failure, a lock doubling from initialBackoff to maxBackoff seconds. */
      loginLockout: { threshold: c.LOGIN_LOCKOUT_THRESHOLD, initialBackoff: c.LOGIN_LOCKOUT_BACKOFF, maxBackoff: c.LOGIN_LOCKOUT_MAX },
      /** Server-wide PAR (RFC 9126), JAR (RFC 9101) and JARM modes; a client may tighten, never loosen (hardened-requests.ts). */
      hardening: { par: c.PAR_MODE, jar: c.JAR_MODE, jarm: c.JARM_MODE },
      /** RFC 9126: pushed requests live `ttl` seconds; a request_uri may be used again for `reuseWindow` seconds after its first use (0: once). */
      par: { ttl: c.PAR_TTL, reuseWindow: c.PAR_REUSE_WINDOW },
      /** RFC 9101 request objects: size in bytes, the furthest `exp` ahead, and whether `jti` is required. */
      requestObject: { maxBytes: c.REQUEST_OBJECT_MAX_BYTES, maxLifetime: c.REQUEST_OBJECT_MAX_LIFETIME, requireJti: c.REQUEST_OBJECT_REQUIRE_JTI },
      /**
       * RFC 9449: proof algorithms (discovery's dpop_signing_alg_values_supported), the age a proof
       * may have (iat, besides clockSkew into the future), and server nonces: where they are
       * required (§8 token and PAR endpoints, §9 userinfo too), the seconds of one nonce step (a
       * nonce is accepted for one to two steps) and the HMAC key (development derives one).
       */
      dpop: {
        algs: c.DPOP_SIGNING_ALGS,
        maxAge: c.DPOP_PROOF_MAX_AGE,
        nonce: c.DPOP_NONCE,
        nonceWindow: c.DPOP_NONCE_WINDOW,
        nonceSecret: c.DPOP_NONCE_SECRET ?? `development-dpop-nonce-secret:${issuer}`,
      },
      /** Signing algorithms whose keys the key store keeps; the first is the ID token default (OIDC Core §15.1: RS256). */
      signingAlgs: ["RS256", "ES256"] as const,
      secureCookies: issuer.startsWith("https://"),
      /** Where mail leaves (mail/transport.ts): the development mailbox by default locally, nothing otherwise. */
      mail: {
        transport: c.MAIL_TRANSPORT ?? (development ? "mailbox" : "none"),
        from: c.MAIL_FROM ?? `no-reply@${new URL(issuer).hostname}`,
        webhookUrl: c.MAIL_WEBHOOK_URL,
        webhookSecret: c.MAIL_WEBHOOK_SECRET,
      },
      /** How the pages look: name and logo, the primary colour, extra CSS, a layout template (docs/pages.md). */
      brand: {
        name: c.BRAND_NAME ?? new URL(issuer).host,
        logoUri: c.BRAND_LOGO_URI,
        primaryColor: c.BRAND_PRIMARY_COLOR.toLowerCase(),
        css: c.BRAND_CSS,
        template: c.BRAND_TEMPLATE,
      },
    };
  });

export type Config = z.output<typeof ConfigSchema>;
export type SigningAlg = Config["signingAlgs"][number];

/**
 * The parsed configuration per env object: a Worker's variables cannot change within an isolate,
 * so it never goes stale; a handful of env objects (tests make their own) is all there is.
 */
const parsedConfigs = isolateCache<object, Config>({ name: "config", maxEntries: 8, maxAgeMs: Number.POSITIVE_INFINITY });

/** Parses the Worker's variables; a misconfiguration fails loudly on the first request. */
export function getConfig(env: Record<string, unknown>): Config {
  const hit = parsedConfigs.get(env);
  if (hit) return hit;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) throw new Error(`Invalid OP configuration: ${z.prettifyError(parsed.error)}`);
  parsedConfigs.set(env, parsed.data);
  return parsed.data;
}

/** The maximum lifetime of anything signed with a key; a retired key stays published this long. */
export function signedArtifactMaxLifetime(config: Config): number {
  return Math.max(config.ttl.accessToken, config.ttl.idToken, config.ttl.jarmResponse, config.ttl.logoutToken) + config.clockSkew;
}
