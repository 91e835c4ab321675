import type { Config } from "@op/core";
import { base64url } from "@op/core";
import { z } from "zod";

/** What the edge tells about the client's TLS certificate (the subset of cf.tlsClientAuth we use). */
const TlsClientAuthSchema = z.object({
  certPresented: z.literal("1"),
  certVerified: z.string(),
  certRevoked: z.string().optional(),
  certSubjectDNRFC2253: z.string().optional(),
  certSubjectDN: z.string().optional(),
  certFingerprintSHA256: z.string().regex(/^[0-9a-fA-F]{64}$/),
});

export interface ClientCertificate {
  /** The edge verified the chain to a configured CA (RFC 8705 §2.1 PKI method). */
  chainVerified: boolean;
  subjectDN?: string;
  /** RFC 8705 §3.1 x5t#S256: base64url SHA-256 of the DER certificate. */
  thumbprint: string;
}

/** Header a developer sets locally, holding what cf.tlsClientAuth would (docs/configuration.md). */
export const DEV_CLIENT_CERT_HEADER = "x-dev-tls-client-auth";

/**
 * The certificate presented on this request: from `request.cf.tlsClientAuth` (Cloudflare mTLS),
 * or, in development with TLS client auth on, from the DEV_CLIENT_CERT_HEADER JSON, since no local
 * TLS terminates client certificates. Anything malformed counts as no certificate.
 */
export function presentedClientCertificate(request: Request, config: Config): ClientCertificate | undefined {
  const fromEdge = (request as Request & { cf?: { tlsClientAuth?: unknown } }).cf?.tlsClientAuth;
  let raw: unknown = fromEdge;
  if (config.development && config.tlsClientAuth && request.headers.has(DEV_CLIENT_CERT_HEADER)) {
    try {
      raw = JSON.parse(request.headers.get(DEV_CLIENT_CERT_HEADER)!);
    } catch {
      return undefined;
    }
  }
  const parsed = TlsClientAuthSchema.safeParse(raw);
  if (!parsed.success || parsed.data.certRevoked === "1") return undefined;
  const hex = parsed.data.certFingerprintSHA256;
  const bytes = new Uint8Array(hex.match(/../g)!.map((h) => parseInt(h, 16)));
  return {
    chainVerified: parsed.data.certVerified === "SUCCESS",
    subjectDN: parsed.data.certSubjectDNRFC2253 ?? parsed.data.certSubjectDN,
    thumbprint: base64url(bytes),
  };
}

/** x5t#S256 of a DER certificate from an x5c member (base64, not base64url: RFC 7517 §4.7). */
export async function certificateThumbprint(x5cEntry: string): Promise<string | undefined> {
  try {
    const der = Uint8Array.from(atob(x5cEntry), (c) => c.charCodeAt(0));
    return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", der)));
  } catch {
    return undefined;
  }
}
