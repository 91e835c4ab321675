import type { BrowserSession } from "./durable-objects/browser-session";
import type { ClientRegistration } from "./durable-objects/client-registration";
import type { DevMailbox } from "./durable-objects/dev-mailbox";
import type { DeviceAuthorization } from "./durable-objects/device-authorization";
import type { Grant } from "./durable-objects/grant";
import type { Interaction } from "./durable-objects/interaction";
import type { KeyStore } from "./durable-objects/key-store";
import type { LogoutDeliveryObject } from "./durable-objects/logout-delivery";
import type { PushedAuthorizationRequest } from "./durable-objects/pushed-authorization-request";
import type { RateLimiter } from "./durable-objects/rate-limiter";
import type { ReplayGuard } from "./durable-objects/replay-guard";
import type { ResourceRegistry } from "./durable-objects/resource-registry";
import type { UserAccount } from "./durable-objects/user-account";

/** Bindings shared by the Workers. Each Worker's wrangler.toml binds the subset it uses. */
export interface Env {
  ISSUER: string;
  ENVIRONMENT?: string;
  /** Secrets (wrangler secret put / .dev.vars). */
  ADMIN_TOKEN?: string;
  INITIAL_ACCESS_TOKEN?: string;
  CLIENT_SECRET_ENCRYPTION_KEY?: string;
  PAIRWISE_SALT?: string;
  /** Optional overrides, see docs/configuration.md. */
  [key: string]: unknown;

  CLIENT_CACHE: KVNamespace;
  KEY_STORE: DurableObjectNamespace<KeyStore>;
  CLIENTS: DurableObjectNamespace<ClientRegistration>;
  USERS: DurableObjectNamespace<UserAccount>;
  SESSIONS: DurableObjectNamespace<BrowserSession>;
  INTERACTIONS: DurableObjectNamespace<Interaction>;
  GRANTS: DurableObjectNamespace<Grant>;
  REPLAY_GUARD: DurableObjectNamespace<ReplayGuard>;
  DEVICE_AUTHORIZATIONS: DurableObjectNamespace<DeviceAuthorization>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  PUSHED_AUTHORIZATION_REQUESTS: DurableObjectNamespace<PushedAuthorizationRequest>;
  /** Bound to op-auth's LogoutDelivery, the concrete class (it signs the logout tokens). */
  LOGOUT_DELIVERIES: DurableObjectNamespace<LogoutDeliveryObject>;
  RESOURCE_REGISTRY: DurableObjectNamespace<ResourceRegistry>;
  /** Development only (MAIL_TRANSPORT=mailbox): the mail the OP sent. */
  DEV_MAILBOX: DurableObjectNamespace<DevMailbox>;

  OP_TOKEN?: Fetcher;
  OP_DISCOVERY?: Fetcher;
  OP_MANAGEMENT?: Fetcher;
}
