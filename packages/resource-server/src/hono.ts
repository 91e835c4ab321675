import type { Context, MiddlewareHandler } from "hono";
import type { ProtectedResource, RouteRequirements } from "./resource-server";
import type { VerifiedToken } from "./verify";

/**
 * hono adapters, kept out of the package's main entry so that the kit itself needs no hono.
 * Type-only imports: hono is the application's own dependency.
 */

/** Variables the middleware sets: `c.get("auth")` is the verified token. */
export type AuthVariables = { auth: VerifiedToken };

/** A kit instance, or how to make one from the request's context (env is only there). */
export type ResourceSource<B extends object> = ProtectedResource | ((c: Context<{ Bindings: B }>) => ProtectedResource);

const resolve = <B extends object>(source: ResourceSource<B>, c: Context<{ Bindings: B }>) => (typeof source === "function" ? source(c) : source);

/** Refuses the request (401/403/400 with WWW-Authenticate, 503) unless its token verifies and meets `requirements`. */
export function requireAuth<B extends object = object>(
  source: ResourceSource<B>,
  requirements: RouteRequirements = {},
): MiddlewareHandler<{ Bindings: B; Variables: AuthVariables }> {
  return async (c, next) => {
    const result = await resolve(source, c as unknown as Context<{ Bindings: B }>).authenticate(c.req.raw, requirements);
    if (!result.ok) return result.response;
    c.set("auth", result.token);
    await next();
  };
}

/** Serves the RFC 9728 document on its path (mount with app.use("*", …) or on the well-known path). */
export function protectedResourceMetadata<B extends object = object>(source: ResourceSource<B>): MiddlewareHandler<{ Bindings: B }> {
  return async (c, next) => {
    const response = resolve(source, c).metadataResponse(c.req.raw);
    if (response) return response;
    await next();
  };
}
