import { base64url, fromBase64url, timingSafeEqual } from "./crypto";

/**
 * Password hashing with PBKDF2-HMAC-SHA-256 through WebCrypto, the only slow KDF that runs
 * natively in workerd (Argon2/scrypt would need WASM, whose memory cost and CPU time exceed
 * a login request's budget). workerd caps PBKDF2 at 100,000 iterations; we use the cap.
 * Format: pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>. docs/configuration.md
 * gives the measured cost.
 */
const PREFIX = "pbkdf2-sha256";

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password.normalize("NFKC")), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string, iterations: number): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${PREFIX}$${iterations}$${base64url(salt)}$${base64url(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [prefix, iter, salt, hash] = stored.split("$");
  if (prefix !== PREFIX || !iter || !salt || !hash) return false;
  const derived = await derive(password, fromBase64url(salt), Number(iter));
  return timingSafeEqual(base64url(derived), hash);
}

/** True when a stored hash used fewer iterations than configured, so it is re-hashed on next login. */
export function needsRehash(stored: string, iterations: number): boolean {
  return Number(stored.split("$")[1]) < iterations;
}
