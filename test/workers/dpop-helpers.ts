import { hmacNonces } from "@op/resource-server";
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { b64url, ISSUER, op } from "./helpers";

/** The nonce secret of the test configuration (vitest.workers.config.ts), for nonces of other times. */
export const TEST_NONCE_SECRET = "test-dpop-nonce-secret-0123456789abcdefghij";
/** DPOP_NONCE_WINDOW's default. */
export const NONCE_WINDOW = 300;

/** A nonce the OP handed out (or would have) at `at` milliseconds. */
export const nonceAt = (at: number) => hmacNonces({ secret: TEST_NONCE_SECRET, window: NONCE_WINDOW, clock: () => at }).current();

export const athOf = async (token: string) => b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));

export interface ProofOptions {
  htm?: string;
  htu?: string;
  iat?: number;
  jti?: string;
  accessToken?: string;
  /** Replaces ath (null: none, even with an access token). */
  ath?: string | null;
  /** Replaces the nonce the key remembers (null: none). */
  nonce?: string | null;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
}

/**
 * A client's DPoP key (RFC 9449 §4): signs proofs, remembers the last DPoP-Nonce the OP sent
 * (as strict clients do), and retries a request once on use_dpop_nonce (§8.2).
 */
export class DpopKey {
  nonce: string | undefined;
  private constructor(
    readonly privateKey: CryptoKey,
    readonly publicJwk: JWK,
    readonly jkt: string,
    readonly alg: string,
  ) {}

  static async generate(alg: "ES256" | "PS256" | "EdDSA" = "ES256"): Promise<DpopKey> {
    const pair = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    return new DpopKey(pair.privateKey, publicJwk, await calculateJwkThumbprint(publicJwk, "sha256"), alg);
  }

  async proof(htm: string, path: string, o: ProofOptions = {}): Promise<string> {
    const nonce = o.nonce === null ? undefined : (o.nonce ?? this.nonce);
    const ath = o.ath === null ? undefined : (o.ath ?? (o.accessToken ? await athOf(o.accessToken) : undefined));
    const claims = {
      jti: o.jti ?? crypto.randomUUID(),
      htm: o.htm ?? htm,
      htu: o.htu ?? `${ISSUER}${path}`,
      iat: o.iat ?? Math.floor(Date.now() / 1000),
      ...(nonce ? { nonce } : {}),
      ...(ath ? { ath } : {}),
      ...o.claims,
    };
    return new SignJWT(claims).setProtectedHeader({ alg: this.alg, typ: "dpop+jwt", jwk: this.publicJwk, ...o.header }).sign(this.privateKey);
  }

  /** Sends `init` to `path` with a fresh proof, learning the OP's nonce, retrying once on use_dpop_nonce. */
  async fetch(path: string, init: RequestInit & { headers?: Record<string, string> }, o: ProofOptions = {}): Promise<Response> {
    const method = init.method ?? "GET";
    let res: Response | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers = { ...init.headers, dpop: await this.proof(method, path, o) };
      res = await op(path, { ...init, method, headers, body: typeof init.body === "string" ? init.body : init.body });
      const nonce = res.headers.get("dpop-nonce");
      if (nonce) this.nonce = nonce;
      if (!(res.status === 400 || res.status === 401) || !nonce) break;
      const body = await res.clone().json<{ error?: string }>();
      if (body.error !== "use_dpop_nonce") break;
    }
    return res!;
  }
}

export const form = (params: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
  body: new URLSearchParams(params).toString(),
});
