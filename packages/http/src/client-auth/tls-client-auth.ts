import type { Client } from "@op/core";
import { type ClientCertificate, certificateThumbprint } from "../client-certificate";

/** RFC 4514 strings compared loosely: case of attribute types and spaces around separators do not matter. */
const normalizeDN = (dn: string) =>
  dn
    .split(/(?<!\\),/)
    .map((rdn) => rdn.trim().replace(/^([^=]+)=\s*/, (_m, type: string) => `${type.trim().toUpperCase()}=`))
    .join(",");

/** RFC 8705 §2.1: a certificate chained to a trusted CA (checked by the edge) with the registered subject. */
export function verifyTlsClientAuth(client: Client, cert: ClientCertificate | undefined): boolean {
  return (
    !!cert?.chainVerified &&
    !!cert.subjectDN &&
    !!client.tls_client_auth_subject_dn &&
    normalizeDN(cert.subjectDN) === normalizeDN(client.tls_client_auth_subject_dn)
  );
}

/** RFC 8705 §2.2: a self-signed certificate that is one of the client's registered jwks x5c certificates. */
export async function verifySelfSignedTlsClientAuth(client: Client, cert: ClientCertificate | undefined): Promise<boolean> {
  if (!cert) return false;
  for (const key of client.jwks?.keys ?? []) {
    const first = key.x5c?.[0];
    if (first && (await certificateThumbprint(first)) === cert.thumbprint) return true;
  }
  return false;
}
