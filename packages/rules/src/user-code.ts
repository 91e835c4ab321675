/** RFC 8628 §6.1: consonants only (no words, no 0/O or 1/I confusion); 20^8 codes ≈ 34.5 bits. */
export const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{8}$/;
/** RFC 8628 §3.2: seconds between polls when the server names no other interval. */
export const DEVICE_POLL_INTERVAL = 5;

/** RFC 8628 §6.1: a fresh user code, 8 letters of the alphabet, uniformly drawn (≈ 34.5 bits against guessing). */
export function newUserCode(): string {
  let code = "";
  while (code.length < 8) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      // Rejection sampling: 240 = 12 × 20, so every letter is equally likely.
      if (byte < 240 && code.length < 8) code += USER_CODE_ALPHABET[byte % USER_CODE_ALPHABET.length];
    }
  }
  return code;
}

/** RFC 8628 §6.1: what the user typed, uppercased, without the dashes and spaces; null if it cannot be a code. */
export function normalizeUserCode(input: string): string | null {
  const code = input.slice(0, 64).toUpperCase().replace(/[-\s]/g, "");
  return USER_CODE.test(code) ? code : null;
}

/** RFC 8628 §6.1: a user code is shown as XXXX-XXXX, easier to read and type. */
export const formatUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** RFC 8628 §3.2: a device code is `<userCode>.<secret>` here, so polling reaches its object without an index; null when it has not that shape. */
export function parseDeviceCode(deviceCode: string): { userCode: string; secret: string } | null {
  const m = /^([BCDFGHJKLMNPQRSTVWXZ]{8})\.([A-Za-z0-9_-]{43})$/.exec(deviceCode);
  return m ? { userCode: m[1]!, secret: m[2]! } : null;
}
