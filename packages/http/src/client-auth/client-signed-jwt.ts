import { ASSERTION_ALGS, type Client, getConfig, openSecret } from "@op/core";
import type { Env } from "@op/storage";
import { claimJti, type ReplayPurpose } from "@op/storage";
import { clientVerificationKeys, warnIfClientKeysUnavailable } from "@op/tokens";
import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyOptions, jwtVerify } from "jose";

export type SignedJwtFailure = "invalid" | "too_long" | "no_jti" | "replayed";

/**
 * Verifies a JWT the client signed (RFC 7523 §3): with its registered keys (jwks or jwks_uri),
 * or with its secret for client_secret_jwt; `iss` the client, `aud` one of `audience`, `exp`
 * required and at most CLIENT_ASSERTION_MAX_LIFETIME ahead, `jti` single-use for `purpose`.
 * Used for client assertions and for JWT bearer grants; callers add their `sub` rules.
 */
export async function verifyClientSignedJwt(
  env: Env,
  client: Client,
  jwt: string,
  opts: { audience: string[]; purpose: ReplayPurpose; sealedSecrets?: string[] },
): Promise<{ payload: JWTPayload } | { failure: SignedJwtFailure }> {
  const config = getConfig(env);
  const symmetric = client.token_endpoint_auth_method === "client_secret_jwt";
  const algorithms = client.token_endpoint_auth_signing_alg
    ? [client.token_endpoint_auth_signing_alg]
    : [...ASSERTION_ALGS[symmetric ? "client_secret_jwt" : "private_key_jwt"]];
  const options = { issuer: client.client_id, audience: opts.audience, algorithms, clockTolerance: config.clockSkew, requiredClaims: ["exp", "jti"] };
  let payload: JWTPayload;
  try {
    if (symmetric) {
      const verified = await verifyWithSecrets(jwt, client.client_id, opts.sealedSecrets ?? [], config.clientSecretEncryptionKey, options);
      if (!verified) return { failure: "invalid" };
      payload = verified;
    } else {
      const keys = await clientVerificationKeys(env, client, decodeProtectedHeader(jwt).kid);
      if (!keys) return { failure: "invalid" };
      ({ payload } = await jwtVerify(jwt, keys, options));
    }
  } catch (err) {
    // A bad signature or claim is the client's problem; an unreachable jwks_uri is worth a log line.
    warnIfClientKeysUnavailable(err, client.client_id);
    return { failure: "invalid" };
  }
  if (payload.exp! - Math.floor(Date.now() / 1000) > config.clientAssertionMaxLifetime) return { failure: "too_long" };
  if (typeof payload.jti !== "string" || !payload.jti || payload.jti.length > 200) return { failure: "no_jti" };
  if (!(await claimJti(env, opts.purpose, client.client_id, payload.jti, (payload.exp! + config.clockSkew) * 1000))) return { failure: "replayed" };
  return { payload };
}

/** client_secret_jwt: the current secret, then the one still in its rotation overlap. */
async function verifyWithSecrets(
  jwt: string,
  clientId: string,
  sealed: string[],
  encryptionKey: string | undefined,
  options: JWTVerifyOptions,
): Promise<JWTPayload | null> {
  if (!encryptionKey) return null;
  for (const s of sealed) {
    const secret = new TextEncoder().encode(await openSecret(encryptionKey, clientId, s));
    const verified = await jwtVerify(jwt, secret, options).catch((err) => {
      if (err instanceof errors.JWSSignatureVerificationFailed) return null;
      throw err;
    });
    if (verified) return verified.payload;
  }
  return null;
}

export const SIGNED_JWT_FAILURES: Record<SignedJwtFailure, string> = {
  invalid: "the JWT is not valid for this client",
  too_long: "the JWT lives too long",
  no_jti: "the JWT has no jti",
  replayed: "the JWT has already been used",
};
