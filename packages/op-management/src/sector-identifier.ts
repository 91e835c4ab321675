import { type ClientMetadata, type Config, DocumentFetchError, fetchBoundedDocument, invalidClientMetadata } from "@op/core";
import { checkFetchedDocumentUri } from "./client-metadata";

/**
 * OIDC Core §8.1 / OIDC DCR §2, §5: a pairwise client's sector, checked at registration. With a
 * sector_identifier_uri the OP fetches it and every redirect URI must be listed there; without
 * one the redirect URIs must share one host, which becomes the sector.
 */
const MAX_BYTES = 64 * 1024;

/** The registration step: pairwise enabled, a sector determinable, a sector_identifier_uri document that lists the redirect URIs. */
export async function checkSubjectType(m: ClientMetadata, config: Config): Promise<void> {
  if (m.subject_type === "pairwise" && !config.pairwiseSalt) throw invalidClientMetadata("subject_type pairwise is not enabled on this OP");
  if (m.sector_identifier_uri !== undefined) {
    checkFetchedDocumentUri(m.sector_identifier_uri, config, "sector_identifier_uri");
    const listed = await fetchSectorDocument(m.sector_identifier_uri);
    const missing = m.redirect_uris.find((uri) => !listed.includes(uri));
    if (missing) throw invalidClientMetadata(`sector_identifier_uri does not list the redirect URI ${missing}`);
    return;
  }
  if (m.subject_type !== "pairwise") return;
  const hosts = new Set(m.redirect_uris.map((uri) => new URL(uri).hostname.toLowerCase()));
  if (hosts.size !== 1 || hosts.has("")) {
    throw invalidClientMetadata("a pairwise client needs a sector_identifier_uri unless its redirect URIs share one host");
  }
}

/** A JSON array of strings (OIDC Core §8.1); no redirects, bounded in time and size. */
async function fetchSectorDocument(uri: string): Promise<string[]> {
  let text: string;
  try {
    text = await fetchBoundedDocument(uri, { accept: "application/json", maxBytes: MAX_BYTES });
  } catch (err) {
    if (err instanceof DocumentFetchError) throw invalidClientMetadata(`sector_identifier_uri ${err.message}`);
    throw err;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalidClientMetadata("sector_identifier_uri is not JSON");
  }
  if (!Array.isArray(body) || !body.every((v) => typeof v === "string")) throw invalidClientMetadata("sector_identifier_uri must be a JSON array of URIs");
  return body;
}
