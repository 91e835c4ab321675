/**
 * Which URLs the OP may fetch (RFC 9101 §10.4.1, OIDC Core §6.2 and §8.1, RFC 7591 §5: a client
 * names URLs the OP then requests, which makes the OP a tool for reaching what a stranger
 * cannot, server-side request forgery). Decided on the parsed URL alone, before any connection
 * is opened: https only outside development, no credentials, and no host that names the OP's
 * own or any non-public network — no IP literal in a special-purpose range (RFC 6890 and the
 * IANA IPv4/IPv6 Special-Purpose Address Registries, plus multicast and reserved space) and no
 * name reserved for local use.
 *
 * The host is read as the WHATWG URL parser leaves it (`new URL(u).hostname`, which is also
 * what `fetch` connects to): every IPv4 spelling (decimal `2130706433`, hex `0x7f.1`, octal
 * `0177.0.0.1`, short `127.1`, percent-encoded or full-width digits, a trailing dot) comes out
 * dotted-decimal, and IPv6 comes out compressed hex in brackets (`[::ffff:7f00:1]`), so one
 * parser per family sees every form.
 *
 * What this cannot see: DNS. A public name may resolve to a private address (or be rebound to
 * one between two lookups), and a Worker cannot resolve a name before `fetch` does. What stands
 * behind that is Cloudflare's egress: a Worker's `fetch` leaves from Cloudflare's edge to the
 * public Internet, not from inside the operator's network; an account's private network is
 * reachable from a Worker only through bindings the operator configures (Workers VPC services
 * and networks over Cloudflare Tunnel, service bindings), and Cloudflare's Workers documentation
 * has listed fetch to IP literals as unsupported in deployed Workers (Known issues). The OP binds
 * none of those, so a rebound name leads at most to what the public Internet side of
 * Cloudflare's edge can reach, not into the operator's LAN: this is Cloudflare's property, which
 * we rely on and cannot test here. Self-hosted runtimes (workerd elsewhere, `wrangler dev`) have
 * no such egress and depend on this guard alone; run them behind an egress firewall.
 */

export interface AddressRange {
  /** The range as written in its registry. */
  cidr: string;
  name: string;
  source: string;
}

/**
 * IANA IPv4 Special-Purpose Address Registry (RFC 6890 §2.2.2 and its updates), every entry
 * whether or not the registry marks it globally reachable (none hosts a client's documents),
 * plus multicast (IANA IPv4 Multicast Address Space Registry, RFC 5771).
 */
export const SPECIAL_IPV4_RANGES: readonly AddressRange[] = [
  { cidr: "0.0.0.0/8", name: "this network", source: "RFC 791 §3.2, RFC 6890" },
  { cidr: "10.0.0.0/8", name: "private use", source: "RFC 1918" },
  { cidr: "100.64.0.0/10", name: "shared address space (CGNAT)", source: "RFC 6598" },
  { cidr: "127.0.0.0/8", name: "loopback", source: "RFC 1122 §3.2.1.3" },
  { cidr: "169.254.0.0/16", name: "link local (cloud metadata services)", source: "RFC 3927" },
  { cidr: "172.16.0.0/12", name: "private use", source: "RFC 1918" },
  { cidr: "192.0.0.0/24", name: "IETF protocol assignments", source: "RFC 6890 §2.1" },
  { cidr: "192.0.2.0/24", name: "documentation (TEST-NET-1)", source: "RFC 5737" },
  { cidr: "192.31.196.0/24", name: "AS112-v4", source: "RFC 7535" },
  { cidr: "192.52.193.0/24", name: "AMT", source: "RFC 7450" },
  { cidr: "192.88.99.0/24", name: "deprecated 6to4 relay anycast", source: "RFC 7526" },
  { cidr: "192.168.0.0/16", name: "private use", source: "RFC 1918" },
  { cidr: "192.175.48.0/24", name: "direct delegation AS112 service", source: "RFC 7534" },
  { cidr: "198.18.0.0/15", name: "benchmarking", source: "RFC 2544" },
  { cidr: "198.51.100.0/24", name: "documentation (TEST-NET-2)", source: "RFC 5737" },
  { cidr: "203.0.113.0/24", name: "documentation (TEST-NET-3)", source: "RFC 5737" },
  { cidr: "224.0.0.0/4", name: "multicast", source: "RFC 5771" },
  { cidr: "255.255.255.255/32", name: "limited broadcast", source: "RFC 919 §7, RFC 8190" },
  { cidr: "240.0.0.0/4", name: "reserved", source: "RFC 1112 §4" },
];

/**
 * IANA IPv6 Special-Purpose Address Registry (RFC 6890 §2.2.3 and its updates), every entry,
 * more specific ones first so a refusal names the narrowest; plus the deprecated
 * IPv4-compatible and site-local ranges and multicast (RFC 4291). The translated forms
 * (IPv4-mapped, NAT64, 6to4, Teredo) are refused whole, whatever IPv4 address they carry.
 */
export const SPECIAL_IPV6_RANGES: readonly AddressRange[] = [
  { cidr: "::/128", name: "unspecified", source: "RFC 4291 §2.5.2" },
  { cidr: "::1/128", name: "loopback", source: "RFC 4291 §2.5.3" },
  { cidr: "::ffff:0:0/96", name: "IPv4-mapped", source: "RFC 4291 §2.5.5.2" },
  { cidr: "::/96", name: "IPv4-compatible (deprecated)", source: "RFC 4291 §2.5.5.1" },
  { cidr: "64:ff9b::/96", name: "IPv4/IPv6 translation (NAT64)", source: "RFC 6052" },
  { cidr: "64:ff9b:1::/48", name: "local-use IPv4/IPv6 translation", source: "RFC 8215" },
  { cidr: "100::/64", name: "discard only", source: "RFC 6666" },
  { cidr: "100:0:0:1::/64", name: "dummy prefix", source: "RFC 9780" },
  { cidr: "2001::/32", name: "Teredo", source: "RFC 4380, RFC 8190" },
  { cidr: "2001:1::1/128", name: "PCP anycast", source: "RFC 7723" },
  { cidr: "2001:1::2/128", name: "TURN anycast", source: "RFC 8155" },
  { cidr: "2001:1::3/128", name: "DNS-SD SRP anycast", source: "RFC 9665" },
  { cidr: "2001:2::/48", name: "benchmarking", source: "RFC 5180" },
  { cidr: "2001:3::/32", name: "AMT", source: "RFC 7450" },
  { cidr: "2001:4:112::/48", name: "AS112-v6", source: "RFC 7535" },
  { cidr: "2001:10::/28", name: "deprecated ORCHID", source: "RFC 4843" },
  { cidr: "2001:20::/28", name: "ORCHIDv2", source: "RFC 7343" },
  { cidr: "2001:30::/28", name: "drone remote ID (DET)", source: "RFC 9374" },
  { cidr: "2001::/23", name: "IETF protocol assignments", source: "RFC 2928" },
  { cidr: "2001:db8::/32", name: "documentation", source: "RFC 3849" },
  { cidr: "2002::/16", name: "6to4", source: "RFC 3056" },
  { cidr: "2620:4f:8000::/48", name: "direct delegation AS112 service", source: "RFC 7534" },
  { cidr: "3fff::/20", name: "documentation", source: "RFC 9637" },
  { cidr: "5f00::/16", name: "SRv6 SIDs", source: "RFC 9602" },
  { cidr: "fc00::/7", name: "unique local", source: "RFC 4193" },
  { cidr: "fe80::/10", name: "link-local unicast", source: "RFC 4291 §2.5.6" },
  { cidr: "fec0::/10", name: "site-local (deprecated)", source: "RFC 3879" },
  { cidr: "ff00::/8", name: "multicast", source: "RFC 4291 §2.7" },
];

/** IANA IPv6 Address Space Registry: 2000::/3 is the only space allocated as global unicast (RFC 4291 §2.4); the rest is reserved. */
export const GLOBAL_UNICAST_IPV6: AddressRange = { cidr: "2000::/3", name: "global unicast", source: "IANA IPv6 Address Space, RFC 4291 §2.4" };

/** A dotted-decimal IPv4 address (as the URL parser serialises every IPv4 host) as a 32-bit number; null otherwise. */
export function parseIPv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return octets.reduce((n, o) => n * 256 + o, 0);
}

/** An IPv6 address (brackets optional; `::` compression and a trailing dotted IPv4 allowed) as a 128-bit number; null otherwise. */
export function parseIPv6(host: string): bigint | null {
  let text = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (!/^[0-9a-f:.]+$/i.test(text)) return null;
  const dotted = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(text);
  if (dotted) {
    const v4 = parseIPv4(dotted[2]!);
    if (v4 === null) return null;
    text = `${dotted[1]}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  }
  return n;
}

interface Prefix<T> {
  range: AddressRange;
  base: T;
  bits: number;
}

const v4Prefixes: Prefix<number>[] = SPECIAL_IPV4_RANGES.map((range) => {
  const [addr, bits] = range.cidr.split("/");
  return { range, base: parseIPv4(addr!)!, bits: Number(bits) };
});
const inV4 = (addr: number, p: Prefix<number>) => p.bits === 0 || Math.floor(addr / 2 ** (32 - p.bits)) === Math.floor(p.base / 2 ** (32 - p.bits));

const v6Prefix = (range: AddressRange): Prefix<bigint> => {
  const [addr, bits] = range.cidr.split("/");
  return { range, base: parseIPv6(addr!)!, bits: Number(bits) };
};
const v6Prefixes = SPECIAL_IPV6_RANGES.map(v6Prefix);
const globalUnicast = v6Prefix(GLOBAL_UNICAST_IPV6);
const inV6 = (addr: bigint, p: Prefix<bigint>) => addr >> BigInt(128 - p.bits) === p.base >> BigInt(128 - p.bits);

/** RFC 6890 / IANA: the special-purpose (or multicast, reserved) range an IPv4 address lies in, if any. */
export function specialIPv4Range(addr: number): AddressRange | undefined {
  return v4Prefixes.find((p) => inV4(addr, p))?.range;
}

/** RFC 6890 / IANA: the special-purpose range an IPv6 address lies in, or, outside global unicast space, that fact. */
export function specialIPv6Range(addr: bigint): AddressRange | undefined {
  const special = v6Prefixes.find((p) => inV6(addr, p))?.range;
  if (special) return special;
  return inV6(addr, globalUnicast) ? undefined : { cidr: "outside 2000::/3", name: "not global unicast", source: GLOBAL_UNICAST_IPV6.source };
}

/**
 * Names for local use only, which public DNS does not serve or must not be trusted to serve:
 * `localhost` and `*.localhost` (RFC 6761 §6.3), `*.local` (multicast DNS, RFC 6762),
 * `*.home.arpa` (RFC 8375), `*.internal` (reserved by ICANN for private use, 2024), and
 * single-label names (resolved by local search domains; no public name is one: IAB, SAC053).
 */
export function localOnlyName(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost (RFC 6761 §6.3)";
  if (host.endsWith(".local")) return "multicast DNS name (RFC 6762)";
  if (host === "home.arpa" || host.endsWith(".home.arpa")) return "home network name (RFC 8375)";
  if (host === "internal" || host.endsWith(".internal")) return "private-use name (.internal)";
  if (!host.includes(".")) return "single-label name";
  return undefined;
}

/** Loopback, the one non-public target a development OP may fetch (a local relying party): localhost names, 127.0.0.0/8, ::1. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  const v4 = parseIPv4(host);
  if (v4 !== null) return v4 >>> 24 === 127;
  return host.startsWith("[") && parseIPv6(host) === 1n;
}

/** Why the host is not one the OP may fetch from (a special-purpose address or a local-only name); undefined when it may. */
export function hostRefusal(hostname: string): string | undefined {
  const host = hostname.toLowerCase();
  if (host.startsWith("[")) {
    const v6 = parseIPv6(host);
    if (v6 === null) return "not an IPv6 address";
    const range = specialIPv6Range(v6);
    return range && `${range.name} address (${range.cidr}, ${range.source})`;
  }
  const v4 = parseIPv4(host.replace(/\.$/, ""));
  if (v4 !== null) {
    const range = specialIPv4Range(v4);
    return range && `${range.name} address (${range.cidr}, ${range.source})`;
  }
  // WHATWG URL: a host whose last label is a number (decimal, octal, 0x hex) is an IPv4 address,
  // which the parser rewrites dotted-decimal or refuses; one that reaches here unparsed is not a host.
  if (/^(\d+|0x[0-9a-f]*)$/i.test(host.replace(/\.$/, "").split(".").pop() ?? "")) return "not a valid host";
  return localOnlyName(host);
}

/**
 * The whole rule for a URL the OP is about to fetch: an absolute http(s) URL without
 * credentials, not on the OP's own origin (a client's document is never the OP's, and a
 * request_uri naming /authorize would make the OP call itself); https to a host `hostRefusal`
 * accepts; in development also http or https to loopback (a relying party on the developer's
 * machine). Undefined when it may be fetched, else why not.
 */
export function fetchRefusal(uri: string | URL, config: { development: boolean; issuer: string }): string | undefined {
  let url: URL;
  try {
    url = typeof uri === "string" ? new URL(uri) : uri;
  } catch {
    return "not an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "not an http(s) URL";
  if (url.username || url.password) return "carries credentials";
  if (url.origin === new URL(config.issuer).origin) return "the OP's own origin";
  if (config.development && isLoopbackHost(url.hostname)) return undefined;
  if (url.protocol !== "https:") return config.development ? "http only to loopback in development" : "not an https URL";
  return hostRefusal(url.hostname);
}

/** What a refusal tells the registering client: the rule, never anything learnt from the network. */
export const FETCHABLE_URL_RULE = "an https URL on a public host (no IP address of a private or special-purpose range, no local-only name, not this OP)";

/**
 * RFC 9111 §5.2.2: how long a fetched document may be kept. `no-store` and `no-cache` (which
 * asks for revalidation, which we do not do): not at all; `max-age`: that, within the caller's
 * bounds (a tiny one would make every request a fetch, a huge one keep a replaced document);
 * neither: the caller's default. Milliseconds.
 */
export function documentLifetime(cacheControl: string | null, bounds: { defaultMs: number; minMs: number; maxMs: number }): number {
  const directives = (cacheControl ?? "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim());
  if (directives.some((d) => d === "no-store" || d === "no-cache" || d.startsWith("no-cache="))) return 0;
  const maxAge = directives.map((d) => /^max-age\s*=\s*"?(\d+)"?$/.exec(d)).find(Boolean);
  if (!maxAge) return bounds.defaultMs;
  return Math.min(bounds.maxMs, Math.max(bounds.minMs, Number(maxAge[1]) * 1000));
}
