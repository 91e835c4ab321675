import { Hono } from "hono";
import { drainUnreadBody, errorResponse, REQUEST_ID_HEADER, serve, keyStore, metadataFor, notFound, PATHS, type Env } from "@op/common";

/**
 * op-discovery: OIDC Discovery 1.0 and RFC 8414 metadata, and the JWKS. Public, cacheable for a
 * short time, and readable cross-origin by browser-based relying parties.
 */
const app = new Hono<{ Bindings: Env }>();
app.use(drainUnreadBody);

const publicHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Cache-Control": "public, max-age=300",
  "Content-Type": "application/json;charset=UTF-8",
};

const metadataResponse = (env: Env) => new Response(JSON.stringify(metadataFor(env)), { headers: publicHeaders });

app.get(PATHS.openidConfiguration, (c) => metadataResponse(c.env));
app.get(PATHS.oauthMetadata, (c) => metadataResponse(c.env));
app.get(PATHS.jwks, async (c) => {
  const jwks = await keyStore(c.env).jwks();
  // A short max-age: a rotated-in key must reach relying parties before tokens signed with it expire.
  return new Response(JSON.stringify(jwks), { headers: { ...publicHeaders, "Content-Type": "application/jwk-set+json", "Cache-Control": "public, max-age=60" } });
});
app.notFound(() => notFound());
app.onError((err, c) => errorResponse(err, c.req.header(REQUEST_ID_HEADER)));

export default { fetch: serve("op-discovery", async (request, env, ctx) => app.fetch(request, env, ctx)) } satisfies ExportedHandler<Env>;
