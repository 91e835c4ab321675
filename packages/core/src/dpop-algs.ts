/**
 * RFC 9449 §4.2 / RFC 7518 §3.1: the JWS algorithms a DPoP proof may be signed with. Here, with no
 * imports, so that the configuration (config.ts), the rules (@op/rules/dpop) and the
 * resource-server kit share one list (the kit imports it as `@op/core/dpop-algs`).
 */

/** The asymmetric JWS algorithms: never `none`, never a MAC (HS256, …), which would need a shared secret. */
export const DPOP_ASYMMETRIC_ALGS = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA", "Ed25519", "RS256", "RS384", "RS512"] as const;
export type DpopAlg = (typeof DPOP_ASYMMETRIC_ALGS)[number];

/**
 * The default allow-list: ES256 and EdDSA (compact, fast, what WebCrypto and the strict client
 * libraries generate) and PS256 (where a key must be RSA); FAPI 2.0 Security Profile §5.4.1
 * allows exactly these. RS256 is the operator's to add (DPOP_SIGNING_ALGS): PKCS#1 v1.5 is what
 * FAPI refuses, and no DPoP client needs it.
 */
export const DEFAULT_DPOP_ALGS = ["ES256", "PS256", "EdDSA"] as const satisfies readonly DpopAlg[];
