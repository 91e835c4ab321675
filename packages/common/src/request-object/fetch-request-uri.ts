import type { Config } from "../config";
import { OAuthError } from "../errors";
import { DocumentFetchError, fetchBoundedDocument } from "../fetch-document";
import type { Client } from "../schemas/client";

const invalidRequestUri = (d: string) => new OAuthError("invalid_request_uri", d);

/** OIDC Core §6.2 / OIDC DCR §2: only a registered request_uri (its fragment, a content hash, included). */
export function checkRegisteredRequestUri(client: Pick<Client, "request_uris">, uri: string): void {
  if (!(client.request_uris ?? []).includes(uri)) throw invalidRequestUri("request_uri is not registered for this client");
}

/**
 * RFC 9101 §10.4.1 (SSRF): https only, and no address of the OP's own network: no loopback,
 * private, link-local or unique-local IP literal and no localhost / .local / .internal name.
 * Development (a local OP and RP) may use http and local hosts.
 */
export function checkFetchableUri(uri: string, config: Pick<Config, "development">): URL {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalidRequestUri("request_uri is not an absolute URL");
  }
  if (url.username || url.password) throw invalidRequestUri("request_uri must not carry credentials");
  if (config.development) {
    if (url.protocol !== "https:" && url.protocol !== "http:") throw invalidRequestUri("request_uri must be an http(s) URL");
    return url;
  }
  if (url.protocol !== "https:") throw invalidRequestUri("request_uri must be an https URL");
  if (isInternalHost(url.hostname)) throw invalidRequestUri("request_uri points into a private network");
  return url;
}

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

/**
 * RFC 9101 §5.2.3: GET the request object (no redirects, a timeout, at most `maxBytes`); any
 * failure is invalid_request_uri.
 */
export async function fetchRequestObject(url: URL, maxBytes: number): Promise<string> {
  const target = new URL(url);
  target.hash = ""; // OIDC Core §6.2: a fragment (e.g. a content hash) is for the OP, not the server
  try {
    return (await fetchBoundedDocument(target.href, { accept: "application/oauth-authz-req+jwt, application/jwt", maxBytes })).trim();
  } catch (err) {
    if (err instanceof DocumentFetchError) throw invalidRequestUri(`request_uri ${err.message}`);
    throw err;
  }
}
