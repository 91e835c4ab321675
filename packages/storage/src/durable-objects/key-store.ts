import { DurableObject } from "cloudflare:workers";
import { getConfig, type SigningAlg, signedArtifactMaxLifetime } from "@op/core";
import { calculateJwkThumbprint, compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Env } from "../env";

interface KeyRow {
  kid: string;
  alg: SigningAlg;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  /** When the key starts signing (ms): a rotation publishes new keys this long before they sign. */
  active_from: number;
  /** When it stops signing (ms); it stays published until what it signed has expired. */
  retired_at: number | null;
  [k: string]: SqlStorageValue;
}

/**
 * A rotation publishes the new keys this long before they sign, and the old ones sign until
 * then. Workers cache the signing keys for at most this long (tokens/jwt.ts), so no cache can
 * sign with a key after its retirement, and relying parties that cached the JWKS (served with a
 * max-age of half this) know a key before anything is signed with it.
 */
export const KEY_ACTIVATION_DELAY_MS = 60_000;

/** A private signing key as Workers cache it, with the time span in which it may sign. */
export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateJwk: JWK;
  activeFrom: number;
  retiredAt: number | null;
}

/** The key of `alg` that signs at `now`: the most recently activated one not yet retired. */
export function signingKeyAt<K extends { alg: string; activeFrom: number; retiredAt: number | null }>(keys: K[], alg: SigningAlg, now: number): K | undefined {
  let best: K | undefined;
  for (const k of keys) {
    if (k.alg !== alg || k.activeFrom > now || (k.retiredAt !== null && now >= k.retiredAt)) continue;
    if (!best || k.activeFrom > best.activeFrom) best = k;
  }
  return best;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: SigningAlg;
  use: "sig";
}

/** The OP's own encryption keys (RFC 9101 §6.1: clients encrypt request objects to them), `use` enc. */
export interface PublicEncryptionJwk extends JWK {
  kid: string;
  use: "enc";
}

/** One RSA key (RSA-OAEP, RSA-OAEP-256) and one P-256 key (ECDH-ES and its key wraps). */
const ENCRYPTION_KEY_TYPES = ["RSA", "EC"] as const;
type EncryptionKeyType = (typeof ENCRYPTION_KEY_TYPES)[number];
const kindOf = (alg: string): EncryptionKeyType | undefined => (alg.startsWith("RSA-OAEP") ? "RSA" : alg.startsWith("ECDH-ES") ? "EC" : undefined);

/** The signing keys' table; a table stored before pre-published rotation gets `active_from` (0: signing since creation). */
export function createKeysTable(sql: SqlStorage) {
  sql.exec(`CREATE TABLE IF NOT EXISTS keys (
    kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL,
    created_at INTEGER NOT NULL, retired_at INTEGER, active_from INTEGER NOT NULL DEFAULT 0)`);
  if (!sql.exec("SELECT 1 FROM pragma_table_info('keys') WHERE name = 'active_from'").toArray().length) {
    sql.exec("ALTER TABLE keys ADD COLUMN active_from INTEGER NOT NULL DEFAULT 0");
  }
}

/**
 * The signing keys: one object for the whole issuer (the atom is the key set, which every
 * signature must agree on). Private signing keys are generated and stored here; the Workers
 * fetch the current ones (`signingKeys`) and sign in their own isolate, so a signature costs
 * no call to this one object. Keys are created inside blockConcurrencyWhile, so concurrent first
 * requests all see the same key set. A rotation publishes new keys KEY_ACTIVATION_DELAY_MS
 * before they sign and retires the current ones at that moment; retired keys stay published
 * until everything they signed has expired, then an alarm deletes them.
 */
export class KeyStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      createKeysTable(ctx.storage.sql);
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS enc_keys (
        kid TEXT PRIMARY KEY, kty TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL, retired_at INTEGER)`);
      for (const alg of getConfig(env).signingAlgs) {
        if (!this.activeRow(alg)) await this.generate(alg);
      }
      for (const kty of ENCRYPTION_KEY_TYPES) {
        if (!ctx.storage.sql.exec("SELECT 1 FROM enc_keys WHERE kty = ? AND retired_at IS NULL", kty).toArray().length) await this.generateEncryptionKey(kty);
      }
    });
  }

  private activeRow(alg: SigningAlg, now = Date.now()): SigningKey | undefined {
    return signingKeyAt(this.signingKeys(now).keys, alg, now);
  }

  /**
   * The private keys that sign now or will after a pending rotation, each with its time span.
   * Callers may use them for at most KEY_ACTIVATION_DELAY_MS (see there).
   */
  signingKeys(now = Date.now()): { keys: SigningKey[] } {
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT * FROM keys WHERE retired_at IS NULL OR retired_at > ?", now).toArray();
    return {
      keys: rows.map((r) => ({ kid: r.kid, alg: r.alg, privateJwk: JSON.parse(r.private_jwk) as JWK, activeFrom: r.active_from, retiredAt: r.retired_at })),
    };
  }

  private async generate(alg: SigningAlg, activeFrom = 0): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "RS256" ? { modulusLength: 2048 } : {}) });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk); // RFC 7638: unique and stable per key
    const privateJwk = await exportJWK(privateKey);
    this.ctx.storage.sql.exec(
      "INSERT INTO keys (kid, alg, private_jwk, public_jwk, created_at, retired_at, active_from) VALUES (?, ?, ?, ?, ?, NULL, ?)",
      kid,
      alg,
      JSON.stringify(privateJwk),
      JSON.stringify({ ...publicJwk, kid, alg, use: "sig" }),
      Date.now(),
      activeFrom,
    );
    return kid;
  }

  private async generateEncryptionKey(kty: EncryptionKeyType): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(kty === "RSA" ? "RSA-OAEP-256" : "ECDH-ES", {
      extractable: true,
      ...(kty === "RSA" ? { modulusLength: 2048 } : { crv: "P-256" }),
    });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    // No `alg` member: the RSA key serves RSA-OAEP and RSA-OAEP-256, the EC key every ECDH-ES variant.
    this.ctx.storage.sql.exec(
      "INSERT INTO enc_keys (kid, kty, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)",
      kid,
      kty,
      JSON.stringify(await exportJWK(privateKey)),
      JSON.stringify({ ...publicJwk, kid, use: "enc" }),
      Date.now(),
    );
    return kid;
  }

  /** The published encryption keys, active first; retired ones still decrypt until the cleanup alarm. */
  encryptionJwks(): { keys: PublicEncryptionJwk[] } {
    const rows = this.ctx.storage.sql
      .exec<{ public_jwk: string }>("SELECT public_jwk FROM enc_keys ORDER BY retired_at IS NOT NULL, created_at DESC")
      .toArray();
    return { keys: rows.map((r) => JSON.parse(r.public_jwk) as PublicEncryptionJwk) };
  }

  /**
   * Decrypts a compact JWE addressed to one of our keys (the header's kid, else every key of the
   * alg's type); null when no key opens it. The plaintext leaves the store, the key never does.
   */
  async decrypt(jwe: string, allowed: { algs: readonly string[]; encs: readonly string[] }): Promise<string | null> {
    let header: { alg?: string; enc?: string; kid?: string };
    try {
      header = decodeProtectedHeader(jwe) as typeof header;
    } catch {
      return null;
    }
    const kty = kindOf(header.alg ?? "");
    if (!kty || !allowed.algs.includes(header.alg!) || !allowed.encs.includes(header.enc ?? "")) return null;
    const rows = this.ctx.storage.sql
      .exec<{ kid: string; private_jwk: string }>("SELECT kid, private_jwk FROM enc_keys WHERE kty = ? ORDER BY retired_at IS NOT NULL, created_at DESC", kty)
      .toArray()
      .filter((r) => header.kid === undefined || r.kid === header.kid);
    for (const row of rows) {
      try {
        const key = await importJWK(JSON.parse(row.private_jwk), header.alg);
        const { plaintext } = await compactDecrypt(jwe, key, { keyManagementAlgorithms: [header.alg!], contentEncryptionAlgorithms: [...allowed.encs] });
        return new TextDecoder().decode(plaintext);
      } catch {
        // not this key, or a malformed JWE: try the next key, then give up
      }
    }
    return null;
  }

  /** Every key that may have signed a still-valid artifact: active first, then retired ones. */
  jwks(): { keys: PublicJwk[] } {
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT public_jwk FROM keys ORDER BY retired_at IS NOT NULL, created_at DESC").toArray();
    return { keys: rows.map((r) => JSON.parse(r.public_jwk) as PublicJwk) };
  }

  /**
   * Publishes new keys that sign from `active_from` (now + KEY_ACTIVATION_DELAY_MS, in seconds),
   * when the current ones (and any still pending from an earlier rotation) retire.
   */
  async rotate(): Promise<{ kids: string[]; retired: string[]; active_from: number }> {
    const now = Date.now();
    const activeFrom = now + KEY_ACTIVATION_DELAY_MS;
    const retired = this.ctx.storage.sql
      .exec<{ kid: string }>("SELECT kid FROM keys WHERE retired_at IS NULL")
      .toArray()
      .map((r) => r.kid);
    this.ctx.storage.sql.exec("UPDATE keys SET retired_at = ? WHERE retired_at IS NULL", activeFrom);
    const kids: string[] = [];
    for (const alg of getConfig(this.env).signingAlgs) kids.push(await this.generate(alg, activeFrom));
    this.ctx.storage.sql.exec("UPDATE enc_keys SET retired_at = ? WHERE retired_at IS NULL", now);
    for (const kty of ENCRYPTION_KEY_TYPES) await this.generateEncryptionKey(kty);
    await this.scheduleCleanup();
    return { kids, retired, active_from: Math.floor(activeFrom / 1000) };
  }

  private async scheduleCleanup() {
    const next = this.ctx.storage.sql.exec<{ t: number | null }>("SELECT MIN(retired_at) AS t FROM keys WHERE retired_at IS NOT NULL").one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next + signedArtifactMaxLifetime(getConfig(this.env)) * 1000);
  }

  /** Deletes retired keys once nothing they signed can still be valid. */
  async alarm() {
    const cutoff = Date.now() - signedArtifactMaxLifetime(getConfig(this.env)) * 1000;
    this.ctx.storage.sql.exec("DELETE FROM keys WHERE retired_at IS NOT NULL AND retired_at <= ?", cutoff);
    this.ctx.storage.sql.exec("DELETE FROM enc_keys WHERE retired_at IS NOT NULL AND retired_at <= ?", cutoff);
    await this.scheduleCleanup();
  }
}

/** The single key store of this issuer. */
export function keyStore(env: Pick<Env, "KEY_STORE">) {
  return env.KEY_STORE.get(env.KEY_STORE.idFromName("signing-keys"));
}
