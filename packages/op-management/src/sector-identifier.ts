import { type ClientMetadata, getConfig, invalidClientMetadata } from "@op/core";
import { clientDocuments, DocumentUnavailable, type Env } from "@op/storage";

/**
 * OIDC Core §8.1 / OIDC DCR §2, §5: a pairwise client's sector, checked at registration. With a
 * sector_identifier_uri the OP fetches it and every redirect URI must be listed there; without
 * one the redirect URIs must share one host, which becomes the sector.
 */

/**
 * The document, through the one client-document fetcher (the SSRF guard, no redirects, size and
 * time limits; the client's fetch budget once the client exists). Kept only for the max-age its
 * server sends (at most 10 min): a registration retried after fixing the document sees the fix.
 */
const sectorDocuments = clientDocuments<unknown>({
  member: "sector_identifier_uri",
  accept: "application/json",
  maxBytes: () => 64 * 1024,
  lifetime: { defaultMs: 0, minMs: 0, maxMs: 10 * 60_000 },
  maxEntries: 32,
  parse: (text) => JSON.parse(text) as unknown,
});

/**
 * One text for every content problem (not JSON, not an array of strings, a redirect URI
 * missing), so the answer reveals only that a document of acceptable size came back.
 */
const NOT_LISTING = "sector_identifier_uri must be a JSON array of URIs listing every redirect URI";

/** The registration step: pairwise enabled, a sector determinable, a sector_identifier_uri document that lists the redirect URIs. */
export async function checkSubjectType(env: Env, m: ClientMetadata, clientId: string | null): Promise<void> {
  const config = getConfig(env);
  if (m.subject_type === "pairwise" && !config.pairwiseSalt) throw invalidClientMetadata("subject_type pairwise is not enabled on this OP");
  if (m.sector_identifier_uri !== undefined) {
    const listed = await fetchSectorDocument(env, m.sector_identifier_uri, clientId);
    const missing = m.redirect_uris.find((uri) => !listed.includes(uri));
    if (missing) throw invalidClientMetadata(NOT_LISTING, { debug: `${missing} is not listed` });
    return;
  }
  if (m.subject_type !== "pairwise") return;
  const hosts = new Set(m.redirect_uris.map((uri) => new URL(uri).hostname.toLowerCase()));
  if (hosts.size !== 1 || hosts.has("")) {
    throw invalidClientMetadata("a pairwise client needs a sector_identifier_uri unless its redirect URIs share one host");
  }
}

/** A JSON array of strings (OIDC Core §8.1). */
async function fetchSectorDocument(env: Env, uri: string, clientId: string | null): Promise<string[]> {
  let body: unknown;
  try {
    body = await sectorDocuments.get(env, uri, { clientId });
  } catch (err) {
    if (err instanceof DocumentUnavailable) throw invalidClientMetadata(err.message, { debug: err.reason });
    if (err instanceof SyntaxError) throw invalidClientMetadata(NOT_LISTING, { debug: "not JSON" });
    throw err;
  }
  if (!Array.isArray(body) || !body.every((v) => typeof v === "string")) throw invalidClientMetadata(NOT_LISTING, { debug: "not an array of strings" });
  return body;
}
