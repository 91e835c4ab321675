import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { type ProtectedResource, protectedResource, type VerifiedToken } from "@op/resource-server";

/**
 * An MCP server on Workers whose one tool, `whoami`, tells the caller who the OP says it is.
 * The MCP authorization spec makes it an OAuth resource server: it publishes RFC 9728 metadata
 * naming the OP, answers 401 with a WWW-Authenticate that points there, and accepts only access
 * tokens issued for it (aud = RESOURCE). @op/resource-server does all of that.
 */
export interface Env {
  /** The OP's issuer, e.g. https://op.example.com. */
  ISSUER: string;
  /** This server's MCP endpoint, as clients address it and name it in `resource`: https://mcp.example.com/mcp. */
  RESOURCE: string;
  /** Space-separated scopes a caller's token must carry (none by default). */
  REQUIRED_SCOPES?: string;
  /** A service binding to the OP's front Worker (op-auth), when both run in one account. */
  OP?: Fetcher;
}

let cached: { env: Env; rs: ProtectedResource } | undefined;
/** One kit per isolate and env (its caches are per isolate anyway). */
function resourceServer(env: Env): ProtectedResource {
  if (cached?.env !== env) {
    const op = env.OP;
    const scopes = requiredScopes(env);
    cached = {
      env,
      rs: protectedResource({
        issuer: env.ISSUER,
        resource: env.RESOURCE,
        resourceName: "whoami (example MCP server)",
        ...(scopes.length ? { scopesSupported: scopes } : {}),
        ...(op ? { fetch: (request: Request) => op.fetch(request) } : {}),
      }),
    };
  }
  return cached.rs;
}

const requiredScopes = (env: Env) => (env.REQUIRED_SCOPES ?? "").split(" ").filter(Boolean);

/** What `whoami` returns: the token's view of the caller. */
export function caller(token: VerifiedToken) {
  return {
    sub: token.sub,
    client_id: token.clientId,
    scopes: token.scopes,
    aud: token.audience,
    ...(token.claims.acr ? { acr: token.claims.acr } : {}),
    ...(token.claims.auth_time ? { auth_time: token.claims.auth_time } : {}),
    expires_at: token.expiresAt,
    binding: token.dpop ? "dpop" : token.certificateThumbprint ? "mtls" : "bearer",
  };
}

function mcpServer(token: VerifiedToken): McpServer {
  const server = new McpServer({ name: "whoami", version: "1.0.0" }, { jsonSchemaValidator: new CfWorkerJsonSchemaValidator() });
  server.registerTool(
    "whoami",
    {
      title: "Who am I",
      description: "Returns who called: the subject, client, scopes and audience of the access token.",
      annotations: { readOnlyHint: true },
    },
    async () => ({ content: [{ type: "text", text: JSON.stringify(caller(token)) }] }),
  );
  return server;
}

// Browser-based MCP clients (the MCP Inspector, say) read the challenge and the session header.
const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Expose-Headers": "WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version",
};
function withCors(response: Response): Response {
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(CORS)) headers.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

export default {
  async fetch(request, env): Promise<Response> {
    const rs = resourceServer(env);
    const metadata = rs.metadataResponse(request);
    if (metadata) return metadata;
    if (new URL(request.url).pathname !== new URL(env.RESOURCE).pathname) return new Response("Not found", { status: 404 });
    if (request.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          ...CORS,
          "Access-Control-Allow-Methods": "POST, GET, DELETE, OPTIONS",
          "Access-Control-Allow-Headers": "Authorization, Content-Type, DPoP, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID",
          "Access-Control-Max-Age": "86400",
        },
      });
    }
    // Stateless: no server-to-client stream (GET) and no session to end (DELETE) (Streamable HTTP: 405).
    if (request.method !== "POST") return withCors(new Response(null, { status: 405, headers: { Allow: "POST, OPTIONS" } }));
    const response = await rs.protect(request, { scopes: requiredScopes(env) }, async (token) => {
      // Stateless Streamable HTTP: a server and transport per request, JSON answers rather than SSE.
      const server = mcpServer(token);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      return transport.handleRequest(request, {
        authInfo: {
          token: token.token,
          clientId: token.clientId,
          scopes: token.scopes,
          expiresAt: token.expiresAt,
          resource: new URL(env.RESOURCE),
          extra: { sub: token.sub },
        },
      });
    });
    return withCors(response);
  },
} satisfies ExportedHandler<Env>;
