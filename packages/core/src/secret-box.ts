import { base64url, fromBase64url } from "./crypto";

/**
 * AES-256-GCM for the few secrets the OP must be able to read back: a client_secret_jwt
 * client's secret is its HMAC key (RFC 7523 §2.2 with OIDC Core §9), so a hash cannot serve.
 * The key is derived with HKDF-SHA-256 from the CLIENT_SECRET_ENCRYPTION_KEY secret; the
 * client id is bound as associated data so a ciphertext cannot be moved to another client.
 */
async function key(secret: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: new TextEncoder().encode("op client secret v1") },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

export async function sealSecret(encryptionKey: string, clientId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(clientId) },
    await key(encryptionKey),
    new TextEncoder().encode(secret),
  );
  return `${base64url(iv)}.${base64url(sealed)}`;
}

export async function openSecret(encryptionKey: string, clientId: string, sealed: string): Promise<string> {
  const [iv, data] = sealed.split(".");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64url(iv!), additionalData: new TextEncoder().encode(clientId) },
    await key(encryptionKey),
    fromBase64url(data!),
  );
  return new TextDecoder().decode(plain);
}
