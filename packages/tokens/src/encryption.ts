import type { Client } from "@op/core";
import type { Env } from "@op/storage";
import { CompactEncrypt, importJWK, type JWK } from "jose";
import { clientJwksDocument } from "./client-keys";

const keyTypeFor = (alg: string) => (alg.startsWith("RSA") ? "RSA" : "EC");

/** The client's encryption key for `alg`: `use` enc (or unmarked), of the right key type, `alg` matching if it names one. */
export async function clientEncryptionKey(env: Env, client: Client, alg: string): Promise<JWK | undefined> {
  const jwks = await clientJwksDocument(env, client);
  return jwks?.keys.find((k) => (k.use === undefined || k.use === "enc") && k.kty === keyTypeFor(alg) && (k.alg === undefined || k.alg === alg));
}

/**
 * OIDC Core §10.2: encrypts to the client's key. A signed JWT is nested (cty JWT, RFC 7519
 * §5.2); plain JSON claims are the payload themselves.
 */
export async function encryptForClient(env: Env, client: Client, payload: string, opts: { alg: string; enc: string; nested: boolean }): Promise<string> {
  const jwk = await clientEncryptionKey(env, client, opts.alg);
  if (!jwk) throw new Error(`client ${client.client_id} has no ${opts.alg} encryption key`);
  const key = await importJWK({ ...jwk, alg: opts.alg }, opts.alg);
  return new CompactEncrypt(new TextEncoder().encode(payload))
    .setProtectedHeader({ alg: opts.alg, enc: opts.enc, ...(jwk.kid ? { kid: jwk.kid } : {}), ...(opts.nested ? { cty: "JWT" } : {}) })
    .encrypt(key);
}
