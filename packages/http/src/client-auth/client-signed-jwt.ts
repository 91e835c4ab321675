import { ASSERTION_ALGS, type Client, getConfig, openSecret } from "@op/core";
import { assertionLifetimeRefusal } from "@op/rules";
import type { Env } from "@op/storage";
import { claimJti } from "@op/storage";
import { clientVerificationKeys, type JwtRole, jwtRoleRefusal, warnIfClientKeysUnavailable } from "@op/tokens";
import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyOptions, jwtVerify, type ProtectedHeaderParameters } from "jose";

export type SignedJwtFailure = "invalid" | "wrong_role" | "too_long" | "no_jti" | "replayed";

/** The role each use plays (jwt-roles.ts), and the namespace its jti is claimed in. */
const ROLE_OF = { "client-assertion": "client_assertion", "jwt-bearer": "jwt_bearer_assertion" } as const satisfies Record<string, JwtRole>;

/**
 * Verifies a JWT the client signed (RFC 7523 §3): with its registered keys (jwks or jwks_uri),
 * or with its secret for client_secret_jwt; `iss` the client, `aud` one of `audience`, `exp`
 * required and its lifetime within CLIENT_ASSERTION_MAX_LIFETIME (assertionLifetimeRefusal),
 * made for the role `purpose` names and no other (RFC 8725 §3.11-3.12), `jti` single-use and
 * remembered until the JWT expires. Used for client assertions and for JWT bearer grants;
 * callers add their `sub` rules. A failure carries its description for the caller's error.
 */
export async function verifyClientSignedJwt(
  env: Env,
  client: Client,
  jwt: string,
  opts: { audience: string[]; purpose: keyof typeof ROLE_OF; sealedSecrets?: string[] },
): Promise<{ payload: JWTPayload } | { failure: SignedJwtFailure; description: string }> {
  const config = getConfig(env);
  const fail = (failure: SignedJwtFailure, description = SIGNED_JWT_FAILURES[failure]) => ({ failure, description });
  const symmetric = client.token_endpoint_auth_method === "client_secret_jwt";
  const algorithms = client.token_endpoint_auth_signing_alg
    ? [client.token_endpoint_auth_signing_alg]
    : [...ASSERTION_ALGS[symmetric ? "client_secret_jwt" : "private_key_jwt"]];
  const options = { issuer: client.client_id, audience: opts.audience, algorithms, clockTolerance: config.clockSkew, requiredClaims: ["exp", "jti"] };
  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(jwt);
    if (symmetric) {
      const verified = await verifyWithSecrets(jwt, client.client_id, opts.sealedSecrets ?? [], config.clientSecretEncryptionKey, options);
      if (!verified) return fail("invalid");
      payload = verified;
    } else {
      const keys = await clientVerificationKeys(env, client, header.kid);
      if (!keys) return fail("invalid");
      ({ payload } = await jwtVerify(jwt, keys, options));
    }
  } catch (err) {
    // A bad signature or claim is the client's problem; an unreachable jwks_uri is worth a log line.
    warnIfClientKeysUnavailable(err, client.client_id);
    return fail("invalid");
  }
  const role = ROLE_OF[opts.purpose];
  const wrongRole = jwtRoleRefusal(role, header, payload);
  if (wrongRole) return fail("wrong_role", `the JWT ${wrongRole}`);
  const tooLong = assertionLifetimeRefusal(payload, config);
  if (tooLong) return fail("too_long", tooLong);
  if (typeof payload.jti !== "string" || !payload.jti || payload.jti.length > 200) return fail("no_jti");
  if (!(await claimJti(env, opts.purpose, client.client_id, payload.jti, (payload.exp! + config.clockSkew) * 1000))) return fail("replayed");
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
  wrong_role: "the JWT is made for another role",
  too_long: "the JWT lives too long",
  no_jti: "the JWT has no jti",
  replayed: "the JWT has already been used",
};
