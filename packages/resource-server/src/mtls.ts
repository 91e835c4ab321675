import { base64url, hexToBytes } from "./encoding";

/** The fields of Cloudflare's `request.cf.tlsClientAuth` the binding check reads. */
export interface TlsClientAuth {
  certPresented?: string;
  certRevoked?: string;
  certFingerprintSHA256?: string;
}

/**
 * The development stand-in for `cf.tlsClientAuth` that this OP also accepts when told to
 * (its docs/configuration.md): the same fields as JSON in a request header. Only ever read
 * when the kit is configured with `mtls: { developmentHeader: true }`, since any client can
 * set a header.
 */
export const DEV_CLIENT_CERT_HEADER = "x-dev-tls-client-auth";

/**
 * RFC 8705 §3.1: the x5t#S256 of the client certificate on this request — base64url of the
 * SHA-256 of its DER bytes, which Cloudflare reports as hex in certFingerprintSHA256 — or
 * undefined when none was presented (or the edge saw it revoked).
 */
export function presentedCertificateThumbprint(request: Request, options: { developmentHeader?: boolean } = {}): string | undefined {
  let auth: unknown = (request as Request & { cf?: { tlsClientAuth?: unknown } }).cf?.tlsClientAuth;
  if (options.developmentHeader && request.headers.has(DEV_CLIENT_CERT_HEADER)) {
    try {
      auth = JSON.parse(request.headers.get(DEV_CLIENT_CERT_HEADER)!);
    } catch {
      return undefined;
    }
  }
  return thumbprintOf(auth);
}

/** x5t#S256 from a tlsClientAuth-shaped object, or undefined when it shows no usable certificate. */
export function thumbprintOf(auth: unknown): string | undefined {
  if (!auth || typeof auth !== "object") return undefined;
  const { certPresented, certRevoked, certFingerprintSHA256 } = auth as TlsClientAuth;
  if (certPresented !== "1" || certRevoked === "1" || typeof certFingerprintSHA256 !== "string") return undefined;
  const bytes = certFingerprintSHA256.length === 64 ? hexToBytes(certFingerprintSHA256) : undefined;
  return bytes ? base64url(bytes) : undefined;
}
