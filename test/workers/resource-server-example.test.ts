import { describe, expect, it } from "vitest";
import worker, { type Env } from "../../examples/mcp-server/src/index";
import { ISSUER } from "./helpers";
import { challenges, METADATA_URL, machineToken, opFetch, RESOURCE, userTokens } from "./resource-server-helpers";

/**
 * examples/mcp-server, its default export called as Workers would, with the OP of the test
 * runtime behind its service binding.
 */
const env: Env = { ISSUER, RESOURCE, REQUIRED_SCOPES: "", OP: { fetch: opFetch } as unknown as Fetcher };

const rpc = (body: unknown, authorization?: string) =>
  worker.fetch(
    new Request(RESOURCE, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2025-06-18",
        ...(authorization ? { authorization } : {}),
      },
      body: JSON.stringify(body),
    }),
    env,
  );

describe("the example MCP server", () => {
  it("serves its RFC 9728 document, naming the OP", async () => {
    const res = await worker.fetch(new Request(METADATA_URL), env);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ resource: RESOURCE, authorization_servers: [ISSUER], bearer_methods_supported: ["header"] });
  });

  it("answers an anonymous MCP request with 401 and where to find the metadata", async () => {
    const res = await rpc({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-expose-headers")).toContain("WWW-Authenticate");
    expect(challenges(res.headers.get("www-authenticate")).Bearer).toEqual({ resource_metadata: METADATA_URL });
  });

  it("initializes, lists whoami, and whoami tells who called", async () => {
    const { client, accessToken } = await userTokens();
    const auth = `Bearer ${accessToken}`;
    const init = await rpc(
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } } },
      auth,
    );
    expect(init.status, await init.clone().text()).toBe(200);
    expect(await init.json()).toMatchObject({ result: { serverInfo: { name: "whoami" } } });

    const list = await (await rpc({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} }, auth)).json<{ result: { tools: { name: string }[] } }>();
    expect(list.result.tools.map((t) => t.name)).toEqual(["whoami"]);

    const call = await rpc({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "whoami", arguments: {} } }, auth);
    const { result } = await call.json<{ result: { content: { type: string; text: string }[] } }>();
    const who = JSON.parse(result.content[0]!.text);
    expect(who).toMatchObject({ client_id: client.client_id, scopes: ["openid"], aud: [RESOURCE, `${ISSUER}/userinfo`], binding: "bearer" });
    expect(who.sub).toBeTypeOf("string");
  });

  it("refuses a token for another resource, and enforces REQUIRED_SCOPES", async () => {
    const { token: elsewhere } = await machineToken({ resources: ["https://other.example.com/mcp"] });
    const res = await rpc({ jsonrpc: "2.0", id: 1, method: "tools/list" }, `Bearer ${elsewhere}`);
    expect(res.status).toBe(401);
    expect(challenges(res.headers.get("www-authenticate")).Bearer).toMatchObject({ error: "invalid_token" });

    const scoped: Env = { ...env, REQUIRED_SCOPES: "write" };
    const { token } = await machineToken({ scope: "read" });
    const req = new Request(RESOURCE, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    const denied = await worker.fetch(req as Parameters<typeof worker.fetch>[0], scoped);
    expect(denied.status).toBe(403);
    expect(challenges(denied.headers.get("www-authenticate")).Bearer).toMatchObject({ error: "insufficient_scope", scope: "write" });
  });

  it("404s other paths; 405s GET and DELETE (stateless: no stream, no session)", async () => {
    expect((await worker.fetch(new Request("https://mcp.example.com/other"), env)).status).toBe(404);
    for (const method of ["GET", "DELETE"]) expect((await worker.fetch(new Request(RESOURCE, { method }), env)).status).toBe(405);
  });
});
