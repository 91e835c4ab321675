import { getConfig, isolateCache, PATHS } from "@op/core";
import { apiCors, opApp } from "@op/http";
import { providerMetadata } from "@op/rules";
import { type Env, KEY_ACTIVATION_DELAY_MS, keyStore } from "@op/storage";

/**
 * op-discovery: OIDC Discovery 1.0 and RFC 8414 metadata, and the JWKS. Public, cacheable for a
 * short time, and readable cross-origin by browser-based relying parties.
 */
const app = opApp("op-discovery");
app.use(apiCors(["GET"]));

const publicHeaders = {
  "Access-Control-Allow-Origin": "*",
  "Cache-Control": "public, max-age=300",
  "Content-Type": "application/json;charset=UTF-8",
};

/** The metadata depends on the configuration only, which cannot change within an isolate: serialised once per env. */
const metadataBodies = isolateCache<Env, string>({ name: "discovery-metadata", maxEntries: 4, maxAgeMs: Number.POSITIVE_INFINITY });
function metadataResponse(env: Env) {
  let body = metadataBodies.get(env);
  if (body === undefined) {
    body = JSON.stringify(providerMetadata(getConfig(env)));
    metadataBodies.set(env, body);
  }
  return new Response(body, { headers: publicHeaders });
}

/**
 * The JWKS, kept in the isolate for half the keys' activation delay, and served with the
 * max-age that remains of it: a rotation publishes its keys that long before they sign, so every
 * copy read before (this one, the front Worker's, a relying party's) has expired by then.
 */
const JWKS_LIFETIME_MS = KEY_ACTIVATION_DELAY_MS / 2;
const jwksBodies = isolateCache<"current", { until: number; body: string }>({ name: "discovery-jwks", maxEntries: 1, maxAgeMs: JWKS_LIFETIME_MS });

app.get(PATHS.openidConfiguration, (c) => metadataResponse(c.env));
app.get(PATHS.oauthMetadata, (c) => metadataResponse(c.env));
app.get(PATHS.jwks, async (c) => {
  const now = Date.now();
  const jwks = await jwksBodies.getOrLoad("current", async () => ({ until: now + JWKS_LIFETIME_MS, body: await jwksDocument(c.env) }), { now });
  const maxAge = Math.max(0, Math.floor((jwks.until - now) / 1000));
  return new Response(jwks.body, {
    headers: { ...publicHeaders, "Content-Type": "application/jwk-set+json", "Cache-Control": `public, max-age=${maxAge}` },
  });
});

async function jwksDocument(env: Env): Promise<string> {
  const store = keyStore(env);
  const [signing, encryption] = await Promise.all([store.jwks(), getConfig(env).hardening.jar === "disabled" ? { keys: [] } : store.encryptionJwks()]);
  // RFC 9101 §6.1: clients encrypt request objects to the `use: "enc"` keys.
  return JSON.stringify({ keys: [...signing.keys, ...encryption.keys] });
}

export default app;
