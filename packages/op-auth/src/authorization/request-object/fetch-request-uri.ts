import type { Client } from "@op/core";
import { invalidRequestUri } from "@op/core";
import { clientDocuments, DocumentUnavailable, type Env } from "@op/storage";

/** OIDC Core §6.2 / OIDC DCR §2: only a registered request_uri (its fragment, a content hash, included). */
export function checkRegisteredRequestUri(client: Pick<Client, "request_uris">, uri: string): void {
  if (!(client.request_uris ?? []).includes(uri)) throw invalidRequestUri("request_uri is not registered for this client");
}

/**
 * RFC 9101 §5.2.3 / §10.4.1: request objects behind a request_uri, through the one
 * client-document fetcher (the SSRF guard, the client's fetch budget, no redirects, a timeout, at
 * most REQUEST_OBJECT_MAX_BYTES). OIDC Core §6.2 lets the OP keep them: only when the server
 * says so (Cache-Control max-age, at most 5 min), and keyed by the URL with its fragment, which
 * the client changes when the content does.
 */
const requestObjects = clientDocuments<string>({
  member: "request_uri",
  accept: "application/oauth-authz-req+jwt, application/jwt",
  maxBytes: (config) => config.requestObject.maxBytes,
  lifetime: { defaultMs: 0, minMs: 0, maxMs: 5 * 60_000 },
  maxEntries: 64,
  parse: (text) => text.trim(),
});

/** The request object at a registered request_uri; any failure to fetch it is the same invalid_request_uri. */
export async function fetchRequestObject(env: Env, clientId: string, uri: string): Promise<string> {
  try {
    return await requestObjects.get(env, uri, { clientId });
  } catch (err) {
    if (err instanceof DocumentUnavailable) throw invalidRequestUri(err.message, { debug: err.reason });
    throw err;
  }
}
