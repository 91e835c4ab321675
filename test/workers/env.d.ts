// Types for `env` and `exports` from "cloudflare:workers" in the in-runtime tests: the Worker
// under test is op-auth (root wrangler.toml), whose bindings are the common Env.
declare namespace Cloudflare {
  type OpEnv = import("@op/storage").Env;
  interface Env extends OpEnv {}
  interface GlobalProps {
    mainModule: typeof import("../../packages/op-auth/src/index");
    durableNamespaces:
      | "KeyStore"
      | "ClientRegistration"
      | "UserAccount"
      | "BrowserSession"
      | "Interaction"
      | "Grant"
      | "ReplayGuard"
      | "DeviceAuthorization"
      | "RateLimiter"
      | "PushedAuthorizationRequest"
      | "ResourceRegistry"
      | "LogoutDelivery";
  }
}
