import {
  documentLifetime,
  fetchRefusal,
  hostRefusal,
  isLoopbackHost,
  localOnlyName,
  parseIPv4,
  parseIPv6,
  SPECIAL_IPV4_RANGES,
  SPECIAL_IPV6_RANGES,
  specialIPv4Range,
  specialIPv6Range,
} from "@op/rules";
import { describe, expect, it } from "vitest";

/**
 * The SSRF guard's rules (rules/fetch-guard.ts), on URLs as workerd's URL parser leaves them.
 * Pure: nothing here opens a connection (the fetcher's tests prove it refuses before fetching).
 */
const production = { development: false, issuer: "https://op.example.com" };
const development = { development: true, issuer: "http://localhost:8787" };

const v4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const v6 = (n: bigint) => `[${Array.from({ length: 8 }, (_, i) => ((n >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(":")}]`;
/** The first and last address of a range, as URL hosts. */
function ends(cidr: string): [string, string] {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  if (base!.includes(":")) {
    const first = parseIPv6(base!)!;
    return [v6(first), v6(first | ((1n << BigInt(128 - bits)) - 1n))];
  }
  const first = parseIPv4(base!)!;
  return [v4(first), v4(first + 2 ** (32 - bits) - 1)];
}
const hostOf = (host: string) => new URL(`https://${host}/`).hostname;

describe("hostRefusal, specialIPv4Range and specialIPv6Range: address ranges (RFC 6890, IANA special-purpose registries)", () => {
  it.each(SPECIAL_IPV4_RANGES.map((r) => [r.cidr, r.name, r.source]))("IPv4 %s (%s, %s): first and last address refused", (cidr) => {
    for (const host of ends(cidr)) {
      expect(hostRefusal(hostOf(host)), host).toBeDefined();
      expect(fetchRefusal(`https://${host}/jwks`, production), host).toBeDefined();
    }
  });

  it.each(SPECIAL_IPV6_RANGES.map((r) => [r.cidr, r.name, r.source]))("IPv6 %s (%s, %s): first and last address refused", (cidr) => {
    for (const host of ends(cidr)) {
      expect(hostRefusal(hostOf(host)), host).toBeDefined();
      expect(fetchRefusal(`https://${host}/jwks`, production), host).toBeDefined();
    }
  });

  it("the ranges the review named, by an address inside each", () => {
    const named = {
      "0.0.0.0/8": "0.1.2.3",
      "10/8": "10.0.0.1",
      "100.64/10": "100.127.255.254",
      "127/8": "127.255.0.1",
      "169.254/16 (metadata)": "169.254.169.254",
      "172.16/12": "172.31.255.255",
      "192.0.0/24": "192.0.0.8",
      "192.0.2/24": "192.0.2.1",
      "192.88.99/24": "192.88.99.1",
      "192.168/16": "192.168.1.1",
      "198.18/15": "198.19.255.255",
      "198.51.100/24": "198.51.100.7",
      "203.0.113/24": "203.0.113.9",
      "224/4": "239.255.255.250",
      "240/4": "250.1.2.3",
      broadcast: "255.255.255.255",
      "::/128": "[::]",
      "::1": "[::1]",
      "::ffff:0:0/96 (mapped, dotted)": "[::ffff:10.0.0.1]",
      "::ffff:0:0/96 (mapped, public v4)": "[::ffff:8.8.8.8]",
      "64:ff9b::/96": "[64:ff9b::a00:1]",
      "64:ff9b:1::/48": "[64:ff9b:1::1]",
      "2002::/16": "[2002:a00:1::]",
      "2001::/32 (Teredo)": "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
      "2001:db8::/32": "[2001:db8::1]",
      "2001:2::/48": "[2001:2::1]",
      "2001:10::/28": "[2001:1f::1]",
      "fc00::/7": "[fd12:3456::1]",
      "fe80::/10": "[fe80::1]",
      "fec0::/10": "[fec0::1]",
      "ff00::/8": "[ff02::1]",
      "100::/64": "[100::1]",
      "::/96 (IPv4-compatible)": "[::7f00:1]",
      "outside 2000::/3": "[4000::1]",
    };
    for (const [range, host] of Object.entries(named)) expect(hostRefusal(hostOf(host)), `${range}: ${host}`).toBeDefined();
  });

  it("accepts public addresses, including the neighbours of refused ranges", () => {
    for (const host of [
      "8.8.8.8",
      "1.1.1.1",
      "9.255.255.255",
      "11.0.0.0",
      "100.63.255.255",
      "100.128.0.0",
      "126.255.255.255",
      "128.0.0.0",
      "169.253.255.255",
      "169.255.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.0.1.0",
      "192.0.3.0",
      "192.88.98.255",
      "192.88.100.0",
      "192.167.255.255",
      "192.169.0.0",
      "198.17.255.255",
      "198.20.0.0",
      "198.51.99.255",
      "198.51.101.0",
      "203.0.112.255",
      "203.0.114.0",
      "223.255.255.255",
      "[2606:4700:4700::1111]",
      "[2001:4860:4860::8888]",
      "[2001:200::1]",
      "[2001:db7:ffff::1]",
      "[2003::1]",
      "[2a00:1450:4001::1]",
    ]) {
      expect(hostRefusal(hostOf(host)), host).toBeUndefined();
      expect(fetchRefusal(`https://${host}/jwks`, production), host).toBeUndefined();
    }
  });

  it("names the narrowest range", () => {
    expect(specialIPv4Range(parseIPv4("255.255.255.255")!)?.name).toBe("limited broadcast");
    expect(specialIPv6Range(parseIPv6("2001:2::1")!)?.name).toBe("benchmarking");
    expect(specialIPv6Range(parseIPv6("::1")!)?.name).toBe("loopback");
    expect(specialIPv6Range(parseIPv6("8000::1")!)?.name).toBe("not global unicast");
  });
});

describe("parseIPv4 and parseIPv6: IPv4 and IPv6 spellings (what workerd's URL parser makes of them)", () => {
  it.each([
    ["decimal", "http://2130706433/", "127.0.0.1"],
    ["hex", "http://0x7f000001/", "127.0.0.1"],
    ["hex parts", "http://0x7f.0x0.0x0.0x1/", "127.0.0.1"],
    ["octal", "http://0177.0.0.1/", "127.0.0.1"],
    ["short", "http://127.1/", "127.0.0.1"],
    ["short hex", "http://0x7f.1/", "127.0.0.1"],
    ["trailing dot", "http://127.0.0.1./", "127.0.0.1"],
    ["percent-encoded", "http://%31%32%37.0.0.1/", "127.0.0.1"],
    ["full-width digits", "http://１２７.0.0.1/", "127.0.0.1"],
    ["zero", "http://0/", "0.0.0.0"],
    ["three parts", "http://10.1.2/", "10.1.0.2"],
    ["decimal metadata", "http://2852039166/", "169.254.169.254"],
    ["mapped dotted", "http://[::ffff:127.0.0.1]/", "[::ffff:7f00:1]"],
    ["mapped long", "http://[0:0:0:0:0:ffff:7f00:1]/", "[::ffff:7f00:1]"],
    ["compatible", "http://[::127.0.0.1]/", "[::7f00:1]"],
    ["NAT64 dotted", "http://[64:ff9b::10.0.0.1]/", "[64:ff9b::a00:1]"],
  ])("%s: %s is %s, refused", (_name, url, host) => {
    expect(new URL(url).hostname).toBe(host);
    expect(fetchRefusal(url.replace("http:", "https:"), production)).toBeDefined();
  });

  it("URLs the parser refuses are refused too", () => {
    for (const url of ["https://999999999999/", "https://1.2.3.4.5/", "https://[fe80::1%25eth0]/", "https://a.b.0x1/", "not a url"]) {
      expect(fetchRefusal(url, production), url).toBe("not an absolute URL");
    }
  });

  it("parsers", () => {
    expect(parseIPv4("192.168.0.1")).toBe(0xc0a80001);
    expect(parseIPv4("256.0.0.1")).toBeNull();
    expect(parseIPv4("1.2.3")).toBeNull();
    expect(parseIPv6("[::1]")).toBe(1n);
    expect(parseIPv6("::")).toBe(0n);
    expect(parseIPv6("::ffff:1.2.3.4")).toBe(0xffff01020304n);
    expect(parseIPv6("1:2:3:4:5:6:7:8")).toBe(0x00010002000300040005000600070008n);
    for (const bad of ["1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3", "12345::", "g::1", ":::", "1:2:3:4:5:6:7:8::"]) expect(parseIPv6(bad), bad).toBeNull();
    // A host the URL parser never produces is not a host.
    expect(hostRefusal("0x7f.1")).toBeDefined();
    expect(hostRefusal("2130706433")).toBeDefined();
  });
});

describe("localOnlyName: names for local use only", () => {
  it.each([
    ["localhost", "RFC 6761"],
    ["LOCALHOST.", "RFC 6761"],
    ["api.localhost", "RFC 6761"],
    ["printer.local", "RFC 6762"],
    ["router.home.arpa", "RFC 8375"],
    ["db.internal", ".internal"],
    ["metadata.google.internal", ".internal"],
    ["intranet", "single-label"],
    ["intranet.", "single-label"],
  ])("%s (%s) is refused", (host, rule) => {
    expect(localOnlyName(hostOf(host))).toContain(rule);
    expect(fetchRefusal(`https://${host}/jwks`, production)).toBeDefined();
  });

  it("public names pass (DNS is not ours to check: see the module comment)", () => {
    for (const host of ["rp.example.com", "example.com.", "xn--nxasmq6b.com", "local.example.com", "internal.example.org", "localhost.example.net"]) {
      expect(fetchRefusal(`https://${host}/jwks`, production), host).toBeUndefined();
    }
  });
});

describe("fetchRefusal and isLoopbackHost: the URL rule", () => {
  it("outside development: https only, no credentials, not the OP itself", () => {
    expect(fetchRefusal("https://rp.example.com/jwks", production)).toBeUndefined();
    expect(fetchRefusal("http://rp.example.com/jwks", production)).toBe("not an https URL");
    expect(fetchRefusal("ftp://rp.example.com/jwks", production)).toBe("not an http(s) URL");
    expect(fetchRefusal("https://user:pass@rp.example.com/jwks", production)).toBe("carries credentials");
    expect(fetchRefusal("https://op.example.com/authorize?x=1", production)).toBe("the OP's own origin");
    expect(fetchRefusal("https://127.0.0.1:8080/jwks", production)).toBeDefined();
    expect(fetchRefusal("http://localhost:3000/jwks", production)).toBeDefined();
  });

  it("in development also loopback, over http or https, and nothing else private", () => {
    for (const url of ["http://127.0.0.1:8080/jwks", "http://localhost:3000/r", "https://[::1]/r", "http://app.localhost/r", "http://2130706433:9/x"]) {
      expect(fetchRefusal(url, development), url).toBeUndefined();
    }
    for (const url of [
      "http://10.0.0.1/x",
      "https://169.254.169.254/latest/meta-data/",
      "http://[::ffff:7f00:1]/x",
      "http://rp.example.com/x",
      "http://localhost:8787/authorize",
    ]) {
      expect(fetchRefusal(url, development), url).toBeDefined();
    }
    expect(isLoopbackHost("127.9.9.9")).toBe(true);
    expect(isLoopbackHost("[::ffff:7f00:1]")).toBe(false);
  });
});

describe("documentLifetime (RFC 9111 §5.2.2), within bounds", () => {
  const bounds = { defaultMs: 600_000, minMs: 30_000, maxMs: 600_000 };
  it.each<[string | null, number]>([
    [null, 600_000],
    ["public", 600_000],
    ["max-age=120", 120_000],
    ["public, max-age=120, must-revalidate", 120_000],
    ['max-age="90"', 90_000],
    ["max-age=0", 30_000],
    ["max-age=5", 30_000],
    ["max-age=86400", 600_000],
    ["no-store", 0],
    ["max-age=60, no-store", 0],
    ["no-cache", 0],
    ['no-cache="set-cookie", max-age=60', 0],
    ["private, max-age=60", 60_000],
  ])("%s → %d ms", (cc, ms) => {
    expect(documentLifetime(cc, bounds)).toBe(ms);
  });
});
