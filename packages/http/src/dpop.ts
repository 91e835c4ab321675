import { type Config, getConfig, invalidDpopProof, invalidRequest, invalidToken, isolateCache, type OAuthError, serverError, useDpopNonce } from "@op/core";
import {
  type AccessTokenClaims,
  AuthError,
  type Binding,
  type Credentials,
  type DpopNonceHook,
  type DpopProof,
  hmacNonces,
  type ReplayCache,
  verifyBinding,
  verifyDpopProof,
} from "@op/resource-server";
import { nonceRequired } from "@op/rules";
import { claimJti, type Env } from "@op/storage";
import { createMiddleware } from "hono/factory";
import type { OpEnv } from "./pipeline";

/**
 * The OP's side of RFC 9449: its token and PAR endpoints (dpopProof) and its userinfo
 * (verifyDpopBinding) check proofs with the resource-server kit's verifier (one module, the
 * one operators' APIs use), with this deployment's settings: the configured algorithms and
 * proof age, `jti`s claimed in a ReplayGuard Durable Object, and HMAC time-step nonces.
 */

export type DpopEndpoint = "token" | "par" | "resource";

/** RFC 9449 §11.1: each proof's jti is single use across every isolate: the first claim in its ReplayGuard wins. */
function durableReplayCache(env: Env): ReplayCache {
  const realm = getConfig(env).issuer;
  return { use: (key, expiresAt) => claimJti(env, "dpop", realm, key, expiresAt) };
}

/** One nonce source per configuration (the HMAC key is imported once per isolate). */
const nonceSources = isolateCache<Config, DpopNonceHook & { current(): Promise<string> }>({
  name: "dpop-nonces",
  maxEntries: 8,
  maxAgeMs: Number.POSITIVE_INFINITY,
});

/** RFC 9449 §8-9: the deployment's nonces (DPOP_NONCE_SECRET, DPOP_NONCE_WINDOW). */
export function dpopNonces(config: Config): DpopNonceHook & { current(): Promise<string> } {
  let source = nonceSources.get(config);
  if (!source) {
    source = hmacNonces({ secret: config.dpop.nonceSecret, window: config.dpop.nonceWindow });
    nonceSources.set(config, source);
  }
  return source;
}

/** The kit's refusals in the OP's error model (errors.ts): same code, same description. */
function asOAuthError(e: unknown, endpoint: DpopEndpoint): unknown {
  if (!(e instanceof AuthError)) return e;
  const atResource = endpoint === "resource" ? { status: 401, challenge: "DPoP" as const } : {};
  let err: OAuthError;
  switch (e.code) {
    case "use_dpop_nonce":
      err = useDpopNonce(e.details.dpopNonce ?? "", e.description, atResource);
      break;
    case "invalid_dpop_proof":
      err = invalidDpopProof(e.description, atResource);
      break;
    case "invalid_request":
      err = invalidRequest(e.description);
      break;
    case "invalid_token":
      err = invalidToken(e.description, { challenge: e.details.scheme ?? "DPoP" });
      break;
    default:
      return serverError("unexpected DPoP refusal", { debug: e.message });
  }
  return err;
}

/** RFC 9449 §4.3 step 1: at most one DPoP header; `Headers.get` joins repeated ones with commas, which no JWT contains. */
function dpopHeader(request: Request): string | undefined {
  const value = request.headers.get("dpop");
  if (value === null) return undefined;
  if (value.includes(",")) throw invalidDpopProof("the request has more than one DPoP proof");
  return value.trim();
}

const settings = (env: Env, endpoint: DpopEndpoint) => {
  const config = getConfig(env);
  return {
    algorithms: config.dpop.algs,
    maxAge: config.dpop.maxAge,
    clockTolerance: config.clockSkew,
    replay: durableReplayCache(env),
    nonce: nonceRequired(config.dpop.nonce, endpoint) ? dpopNonces(config) : undefined,
  };
};

/**
 * RFC 9449 §5 (token endpoint), §10.1 (PAR): the request's DPoP proof, verified, its jti claimed;
 * undefined when the request has none. Run after client authentication, so that a confidential
 * client's claim follows the proof of its credentials.
 */
export async function verifyRequestProof(env: Env, request: Request, endpoint: "token" | "par"): Promise<DpopProof | undefined> {
  const proof = dpopHeader(request);
  if (proof === undefined) return undefined;
  try {
    return await verifyDpopProof({ proof, method: request.method, url: request.url, ...settings(env, endpoint) });
  } catch (e) {
    throw asOAuthError(e, endpoint);
  }
}

/**
 * The pipeline's step: the verified proof on the context (`dpop`), and, where nonces are
 * required, a fresh one on the response (RFC 9449 §8.2: the client uses it for its next proof).
 */
export const dpopProof = (endpoint: "token" | "par") =>
  createMiddleware<OpEnv>(async (c, next) => {
    c.set("dpop", await verifyRequestProof(c.env, c.req.raw, endpoint));
    await next();
    const config = getConfig(c.env);
    if (!nonceRequired(config.dpop.nonce, endpoint)) return;
    const nonce = await dpopNonces(config).current();
    try {
      c.res.headers.set("DPoP-Nonce", nonce);
    } catch {
      c.res = new Response(c.res.body, c.res); // a response whose headers are immutable (fetched)
      c.res.headers.set("DPoP-Nonce", nonce);
    }
  });

/**
 * RFC 9449 §7, RFC 8705 §3 at the OP's own protected resource (userinfo): the token's binding,
 * checked by the kit's verifyBinding (DPoP scheme and proof with `ath` for a `cnf.jkt` token,
 * the certificate for `x5t#S256`; a bound token as Bearer is refused), refusals in the OP's
 * error model with the DPoP challenge.
 */
export async function verifyDpopBinding(env: Env, request: Request, credentials: Credentials, claims: { cnf?: object }): Promise<Binding> {
  const config = getConfig(env);
  try {
    // verifyBinding reads the token's cnf only; the OP's own verifyAccessToken checked the rest.
    return await verifyBinding(request, credentials, claims as AccessTokenClaims, {
      dpop: settings(env, "resource"),
      developmentCertificateHeader: config.development && config.tlsClientAuth,
    });
  } catch (e) {
    throw asOAuthError(e, "resource");
  }
}
