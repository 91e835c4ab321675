/**
 * The client's address for per-address limits: `CF-Connecting-IP`, which Cloudflare sets on
 * every request from the internet (a client cannot choose it) and which service-binding calls
 * pass on. IPv6 addresses count per /64, the usual allocation of one subscriber. Without the
 * header (in-process tests, a caller over a service binding that drops it) the key is "local".
 */
export function clientAddress(request: Request): string {
  const ip = request.headers.get("cf-connecting-ip")?.trim().toLowerCase().slice(0, 64);
  if (!ip) return "local";
  return ip.includes(":") ? (ipv6Prefix64(ip) ?? ip) : ip;
}

/** The /64 prefix of an IPv6 address (RFC 4291 §2.2 text forms), or null if it is not one. */
export function ipv6Prefix64(ip: string): string | null {
  const halves = ip.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (s: string | undefined) => (s ? s.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}
