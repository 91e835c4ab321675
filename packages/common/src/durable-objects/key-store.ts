import { DurableObject } from "cloudflare:workers";
import { CompactSign, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { getConfig, signedArtifactMaxLifetime, type SigningAlg } from "../config";
import type { Env } from "../env";

interface KeyRow {
  kid: string;
  alg: SigningAlg;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
  [k: string]: SqlStorageValue;
}

export interface PublicJwk extends JWK {
  kid: string;
  alg: SigningAlg;
  use: "sig";
}

/**
 * The signing keys: one object for the whole issuer (the atom is the key set, which every
 * signature must agree on). Private keys are generated, stored and used here only; callers get
 * signatures and public JWKs. Keys are created inside blockConcurrencyWhile, so concurrent first
 * requests all see the same key set. A rotation retires the active keys, which stay published
 * until everything they signed has expired; an alarm then deletes them.
 */
export class KeyStore extends DurableObject<Env> {
  private signers = new Map<string, CryptoKey>();
  /** The active key per alg, read once: every signature of the issuer passes through here. */
  private active = new Map<SigningAlg, KeyRow>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS keys (
        kid TEXT PRIMARY KEY, alg TEXT NOT NULL, private_jwk TEXT NOT NULL, public_jwk TEXT NOT NULL,
        created_at INTEGER NOT NULL, retired_at INTEGER)`);
      for (const alg of getConfig(env).signingAlgs) {
        if (!this.activeRow(alg)) await this.generate(alg);
      }
    });
  }

  private activeRow(alg: SigningAlg): KeyRow | undefined {
    let row = this.active.get(alg);
    if (!row) {
      row = this.ctx.storage.sql
        .exec<KeyRow>("SELECT * FROM keys WHERE alg = ? AND retired_at IS NULL ORDER BY created_at DESC LIMIT 1", alg)
        .toArray()[0];
      if (row) this.active.set(alg, row);
    }
    return row;
  }

  private async generate(alg: SigningAlg): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "RS256" ? { modulusLength: 2048 } : {}) });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk); // RFC 7638: unique and stable per key
    const privateJwk = await exportJWK(privateKey);
    this.ctx.storage.sql.exec(
      "INSERT INTO keys (kid, alg, private_jwk, public_jwk, created_at, retired_at) VALUES (?, ?, ?, ?, ?, NULL)",
      kid, alg, JSON.stringify(privateJwk), JSON.stringify({ ...publicJwk, kid, alg, use: "sig" }), Date.now(),
    );
    return kid;
  }

  private async signer(row: KeyRow): Promise<CryptoKey> {
    let key = this.signers.get(row.kid);
    if (!key) {
      key = (await importJWK(JSON.parse(row.private_jwk), row.alg, { extractable: false })) as CryptoKey;
      this.signers.set(row.kid, key);
    }
    return key;
  }

  /** Signs a JSON payload with the active key for `alg`; returns a compact JWS. */
  async sign(alg: SigningAlg, payload: Record<string, unknown>, typ?: string): Promise<string> {
    const row = this.activeRow(alg);
    if (!row) throw new Error(`no active ${alg} key`);
    const jws = new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader({ alg, kid: row.kid, ...(typ ? { typ } : {}) });
    return jws.sign(await this.signer(row));
  }

  /** Every key that may have signed a still-valid artifact: active first, then retired ones. */
  jwks(): { keys: PublicJwk[] } {
    const rows = this.ctx.storage.sql.exec<KeyRow>("SELECT public_jwk FROM keys ORDER BY retired_at IS NOT NULL, created_at DESC").toArray();
    return { keys: rows.map((r) => JSON.parse(r.public_jwk) as PublicJwk) };
  }

  /** Retires the active keys and creates new ones; returns the new kids. */
  async rotate(): Promise<{ kids: string[]; retired: string[] }> {
    const now = Date.now();
    const retired = this.ctx.storage.sql.exec<{ kid: string }>("SELECT kid FROM keys WHERE retired_at IS NULL").toArray().map((r) => r.kid);
    this.ctx.storage.sql.exec("UPDATE keys SET retired_at = ? WHERE retired_at IS NULL", now);
    this.active.clear();
    const kids: string[] = [];
    for (const alg of getConfig(this.env).signingAlgs) kids.push(await this.generate(alg));
    await this.scheduleCleanup();
    return { kids, retired };
  }

  private async scheduleCleanup() {
    const next = this.ctx.storage.sql.exec<{ t: number | null }>("SELECT MIN(retired_at) AS t FROM keys WHERE retired_at IS NOT NULL").one().t;
    if (next !== null) await this.ctx.storage.setAlarm(next + signedArtifactMaxLifetime(getConfig(this.env)) * 1000);
  }

  /** Deletes retired keys once nothing they signed can still be valid. */
  async alarm() {
    const cutoff = Date.now() - signedArtifactMaxLifetime(getConfig(this.env)) * 1000;
    const gone = this.ctx.storage.sql.exec<{ kid: string }>("DELETE FROM keys WHERE retired_at IS NOT NULL AND retired_at <= ? RETURNING kid", cutoff).toArray();
    for (const { kid } of gone) this.signers.delete(kid);
    await this.scheduleCleanup();
  }
}

/** The single key store of this issuer. */
export function keyStore(env: Pick<Env, "KEY_STORE">) {
  return env.KEY_STORE.get(env.KEY_STORE.idFromName("signing-keys"));
}
