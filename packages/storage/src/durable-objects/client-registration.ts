import { DurableObject } from "cloudflare:workers";
import { type AuthenticatedClient, type Client, type ClientGrants, ClientGrantsSchema, ClientSchema, hashSecret, timingSafeEqual } from "@op/core";
import type { Env } from "../env";

interface StoredClient {
  client: Client;
  secretHash?: string;
  /** client_secret_jwt only: the secret sealed with CLIENT_SECRET_ENCRYPTION_KEY (see secret-box.ts). */
  sealedSecret?: string;
  registrationTokenHash: string;
  /** The secret before the last rotation, still accepted until `expiresAt` (ms). */
  previous?: { secretHash?: string; sealedSecret?: string; expiresAt: number };
  /** The operator's grants (admin API), apart from `client`, which the client writes (RFC 7592). */
  grants?: ClientGrants;
}

/** What authentication sees: the client's record with the operator's grants beside it. */
const authenticated = (s: StoredClient): AuthenticatedClient => ({ ...s.client, operatorGrants: s.grants ?? null });

/**
 * One object per client (the atom: a client's metadata and credentials change together). This
 * is the source of truth; KV holds a read-through copy of the public metadata. Secrets and the
 * registration access token are kept only as SHA-256 digests (they are 256-bit random values).
 * The operator's grants live here too, beside the metadata, so that the read which
 * authenticates a client brings them along; RFC 7592 updates replace the metadata only.
 */
export class ClientRegistration extends DurableObject<Env> {
  private stored(): StoredClient | undefined {
    return this.ctx.storage.kv.get<StoredClient>("client");
  }

  create(client: Client, credentials: { secretHash?: string; sealedSecret?: string; registrationTokenHash: string }): boolean {
    if (this.stored()) return false;
    this.ctx.storage.kv.put("client", { client: ClientSchema.parse(client), ...credentials } satisfies StoredClient);
    return true;
  }

  /** The client and its sealed secrets (current first, then one in its rotation overlap), for client_secret_jwt. */
  sealedSecrets(now = Date.now()): { client: AuthenticatedClient; sealedSecrets: string[] } | null {
    const s = this.stored();
    if (!s) return null;
    const previous = s.previous && now < s.previous.expiresAt ? s.previous.sealedSecret : undefined;
    return { client: authenticated(s), sealedSecrets: [s.sealedSecret, previous].filter((x): x is string => x !== undefined) };
  }

  /**
   * Replaces the secret; the old one stays valid for `overlapMs`, so a client can roll its
   * configuration without downtime. An earlier previous secret is dropped.
   */
  rotateSecret(secretHash: string, sealedSecret: string | undefined, overlapMs: number): boolean {
    const s = this.stored();
    if (!s?.secretHash) return false;
    const previous = { secretHash: s.secretHash, sealedSecret: s.sealedSecret, expiresAt: Date.now() + overlapMs };
    this.ctx.storage.kv.put("client", { ...s, secretHash, sealedSecret, previous } satisfies StoredClient);
    return true;
  }

  get(): AuthenticatedClient | null {
    const s = this.stored();
    return s ? authenticated(s) : null;
  }

  /** Replaces the operator's grants; null returns the client to CLIENT_GRANTS_DEFAULT. False when there is no such client. */
  setGrants(grants: ClientGrants | null): boolean {
    const s = this.stored();
    if (!s) return false;
    const { grants: _previous, ...rest } = s;
    this.ctx.storage.kv.put("client", grants ? { ...rest, grants: ClientGrantsSchema.parse(grants) } : rest);
    return true;
  }

  /** Replaces the metadata (RFC 7592 §2.2); a new secret hash replaces the old one when given. */
  update(client: Client, secretHash?: string): Client | null {
    const s = this.stored();
    if (!s) return null;
    const next = ClientSchema.parse(client);
    this.ctx.storage.kv.put("client", { ...s, client: next, secretHash: secretHash ?? s.secretHash });
    return next;
  }

  async delete(): Promise<void> {
    await this.ctx.storage.deleteAll();
  }

  /** The client if `secret` is its secret, or its previous one within the rotation overlap (constant-time). */
  async authenticateSecret(secret: string, now = Date.now()): Promise<AuthenticatedClient | null> {
    const presented = await hashSecret(secret);
    const s = this.stored();
    if (!s) return null;
    const current = !!s.secretHash && timingSafeEqual(presented, s.secretHash);
    const previous = !!s.previous?.secretHash && now < s.previous.expiresAt && timingSafeEqual(presented, s.previous.secretHash);
    return current || previous ? authenticated(s) : null;
  }

  async checkRegistrationToken(token: string): Promise<Client | null> {
    const presented = await hashSecret(token);
    const s = this.stored();
    return s && timingSafeEqual(presented, s.registrationTokenHash) ? s.client : null;
  }
}

/**
 * Whether a presented client_id can name a client at all. Bounded in UTF-8 bytes, not UTF-16
 * units: it becomes part of a KV key, whose limit is 512 bytes.
 */
export const MAX_CLIENT_ID_BYTES = 200;
export const isPlausibleClientId = (clientId: string) => clientId.length > 0 && new TextEncoder().encode(clientId).byteLength <= MAX_CLIENT_ID_BYTES;

export function clientObject(env: Pick<Env, "CLIENTS">, clientId: string) {
  return env.CLIENTS.get(env.CLIENTS.idFromName(clientId));
}
