import type { Client, Config } from "@op/core";
import { base64url, isolateCache } from "@op/core";

/**
 * Subject identifiers as a client sees them (OIDC Core §8). Accounts are named internally by
 * their Durable Object id (64 hex digits); a `public` client sees that id, a `pairwise` client an
 * HMAC of it under its sector, so clients of different sectors cannot correlate a user and
 * nobody without PAIRWISE_SALT can compute or reverse the mapping (§8.1).
 */
export type SubjectClient = Pick<Client, "subject_type" | "sector_identifier_uri" | "redirect_uris">;

/** Our account ids; anything else (a client's own id in client_credentials, an exchanged client token) is passed through. */
const isAccountId = (sub: string) => /^[0-9a-f]{64}$/.test(sub);

/**
 * OIDC Core §8.1: the host of sector_identifier_uri, else of the redirect URIs (registration
 * makes sure those share one host when there is no sector_identifier_uri).
 */
export function sectorIdentifier(client: Pick<Client, "sector_identifier_uri" | "redirect_uris">): string | undefined {
  const source = client.sector_identifier_uri ?? client.redirect_uris[0];
  return source === undefined ? undefined : new URL(source).hostname.toLowerCase();
}

/** The HMAC key of PAIRWISE_SALT, imported once: the salt is configuration, so the key never goes stale. */
const saltKeys = isolateCache<string, CryptoKey>({ name: "pairwise-salt-keys", maxEntries: 4, maxAgeMs: Number.POSITIVE_INFINITY });
const saltKey = (salt: string): Promise<CryptoKey> =>
  saltKeys.getOrLoad(salt, () => crypto.subtle.importKey("raw", new TextEncoder().encode(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));

/** OIDC Core §8, §8.1: the `sub` this client sees for `accountId`: the id itself (public), or base64url HMAC-SHA-256(salt, sector ∥ id) (pairwise). */
export async function subjectFor(client: SubjectClient, accountId: string, config: Pick<Config, "pairwiseSalt">): Promise<string> {
  if (client.subject_type !== "pairwise" || !isAccountId(accountId)) return accountId;
  const sector = sectorIdentifier(client);
  // Registration refuses pairwise without a salt or a sector; a later configuration change must not leak public ids.
  if (!config.pairwiseSalt || !sector) throw new Error("pairwise subject without PAIRWISE_SALT or sector identifier");
  const mac = await crypto.subtle.sign("HMAC", await saltKey(config.pairwiseSalt), new TextEncoder().encode(`${sector}\n${accountId}`));
  return base64url(mac);
}
