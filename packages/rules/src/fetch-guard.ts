/** Hosts the OP must never fetch from (RFC 9101 §10.4.1, SSRF): names and IP literals of its own network. */
export function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || /\.(localhost|local|internal)$/.test(host) || (!host.includes(".") && !host.startsWith("["))) return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (v4) return isPrivateIPv4(v4.slice(1, 5).map(Number));
  if (host.startsWith("[")) return isPrivateIPv6(host.slice(1, -1));
  return false;
}

/** RFC 1918, RFC 6598 (CGNAT), loopback, link-local, "this network", multicast and reserved. */
function isPrivateIPv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b! >= 64 && b! < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b! >= 16 && b! < 32) ||
    (a === 192 && b === 168) ||
    a! >= 224
  );
}

/** ::, ::1, fc00::/7 (unique local), fe80::/10 (link-local), and IPv4-mapped private addresses. */
function isPrivateIPv6(host: string): boolean {
  if (host === "::" || host === "::1") return true;
  if (/^f[cd]/i.test(host) || /^fe[89ab]/i.test(host)) return true;
  const mapped = /^::ffff:(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(host);
  if (mapped) return isPrivateIPv4(mapped.slice(1, 5).map(Number));
  // The URL parser writes mapped addresses in hex (::ffff:7f00:1); refuse every mapped one.
  return /^::ffff:/i.test(host);
}
