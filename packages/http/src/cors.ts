import { cors } from "hono/cors";

/**
 * The headers browser-based clients send to the OP's APIs: bearer and client credentials, form
 * and JSON bodies, DPoP proofs (RFC 9449 §4.1), and the MCP client's protocol version header
 * (MCP Authorization, Streamable HTTP).
 */
export const CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "DPoP", "MCP-Protocol-Version"];

/**
 * CORS for an API browser clients call cross-origin (discovery, registration, token, revocation,
 * userinfo): any origin, never credentials — these endpoints take no cookies, so `*` lets any page
 * call them without letting it act with the user's session. The authorization endpoint is not
 * here: it stays a top-level navigation.
 */
export const apiCors = (methods: string[]) =>
  cors({
    origin: "*",
    allowMethods: methods,
    allowHeaders: CORS_REQUEST_HEADERS,
    exposeHeaders: ["WWW-Authenticate", "Retry-After", "DPoP-Nonce", "Location"],
    credentials: false,
    maxAge: 600,
  });
