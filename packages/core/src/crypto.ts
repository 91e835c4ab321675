/** Small crypto helpers on WebCrypto; nothing here logs or returns secrets beyond its caller. */

const encoder = new TextEncoder();

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (let i = 0; i < u8.length; i++) s += String.fromCharCode(u8[i]!);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function fromBase64url(s: string): Uint8Array {
  const b64 = s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A random token with `bytes` of entropy, base64url encoded (32 bytes = 256 bits). */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256(input: string | Uint8Array): Promise<Uint8Array> {
  const data = typeof input === "string" ? encoder.encode(input) : input;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

export async function sha256b64url(input: string): Promise<string> {
  return base64url(await sha256(input));
}

/** Constant-time string comparison, independent of where the inputs first differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const ab = encoder.encode(a);
  const bb = encoder.encode(b);
  // workerd's crypto.subtle.timingSafeEqual requires equal lengths; compare a digest-sized
  // view so that the length itself is the only thing revealed.
  if (ab.byteLength !== bb.byteLength) return false;
  return crypto.subtle.timingSafeEqual(ab, bb);
}

/** Hash of a high-entropy secret (client secrets, tokens): a fast hash suffices, the entropy is the defence. */
export async function hashSecret(secret: string): Promise<string> {
  return sha256b64url(secret);
}

export async function verifySecret(secret: string, storedHash: string): Promise<boolean> {
  return timingSafeEqual(await hashSecret(secret), storedHash);
}
