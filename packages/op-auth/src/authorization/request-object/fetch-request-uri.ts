import type { Client, Config } from "@op/core";
import { DocumentFetchError, fetchBoundedDocument, invalidRequestUri } from "@op/core";
import { isInternalHost } from "@op/rules";

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
