/**
 * The resource servers every in-runtime test may use, configured through the RESOURCES variable
 * (vitest.workers.config.ts), as an operator would: read-only through the admin API. Tests of
 * the admin API register their own beside them.
 */
export const TEST_RESOURCES = [
  {
    id: "test-api",
    name: "Test API",
    identifiers: ["https://api.example.com/"],
    scopes: [
      { name: "read", description: "Read your test data" },
      { name: "write", description: "Change your test data" },
    ],
    default_scopes: ["read", "write"],
  },
  {
    id: "test-mcp",
    name: "Test MCP server",
    identifiers: ["https://mcp.example.com/mcp"],
    scopes: [
      { name: "read", description: "Use the read-only tools" },
      { name: "write", description: "Use the tools that change things" },
    ],
    default_scopes: ["read"],
  },
  {
    id: "test-other",
    name: "Another test API",
    identifiers: ["https://other.example.com/", "https://other.example.com/api", "https://other.example.com/mcp"],
    scopes: [{ name: "read", description: "Read the other data" }],
    default_scopes: ["read"],
  },
  {
    id: "test-downstream",
    name: "A downstream test API",
    identifiers: ["https://downstream.example.com/"],
    scopes: [{ name: "read", description: "Read downstream data" }],
  },
];
