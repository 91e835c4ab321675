import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { getConfig, invalidRequest, MAX_RESOURCES, notFound, type OAuthError, type ResourceServer as ResourceRecord } from "@op/core";
import { NO_STORE, type OpContext, type OpEnv } from "@op/http";
import { resourceById, resourceProblem } from "@op/rules";
import { forgetResourceRegistry, MAX_REGISTRY_BYTES, type RegistryWriteResult, resourceRegistry, resourceRegistryObject } from "@op/storage";
import { userinfoAudience } from "@op/tokens";
import { ADMIN_SECURITY, errorResponses, json } from "./responses";
import { ResourceIdParam, ResourceList, ResourceServer, ResourceServerView } from "./schemas";

const list = createRoute({
  method: "get",
  path: "/resources",
  operationId: "listResources",
  summary: "Every registered resource server",
  description: "Those of the RESOURCES variable (source `configuration`) first, then those of this API (`admin`).",
  security: ADMIN_SECURITY,
  responses: { 200: { description: "The registry.", content: json(ResourceList) }, ...errorResponses(401) },
});

const create = createRoute({
  method: "post",
  path: "/resources",
  operationId: "createResource",
  summary: "Register a resource server",
  description: `Its id and each identifier must be new to the registry (at most ${MAX_RESOURCES} resources). Reaches every Worker within RESOURCE_CACHE_TTL seconds.`,
  security: ADMIN_SECURITY,
  request: { body: { required: true, content: json(ResourceServer) } },
  responses: {
    201: {
      description: "Registered.",
      headers: { Location: { description: "The resource's admin URL.", schema: { type: "string" } } },
      content: json(ResourceServerView),
    },
    ...errorResponses(400, 401, 409),
  },
});

const read = createRoute({
  method: "get",
  path: "/resources/{id}",
  operationId: "readResource",
  summary: "One resource server",
  security: ADMIN_SECURITY,
  request: { params: ResourceIdParam },
  responses: { 200: { description: "The resource.", content: json(ResourceServerView) }, ...errorResponses(400, 401, 404) },
});

const replace = createRoute({
  method: "put",
  path: "/resources/{id}",
  operationId: "replaceResource",
  summary: "Replace a resource server",
  description: "Replaces it whole; the body's id must be the path's. Configured resources are read-only (409).",
  security: ADMIN_SECURITY,
  request: { params: ResourceIdParam, body: { required: true, content: json(ResourceServer) } },
  responses: { 200: { description: "The resource as stored.", content: json(ResourceServerView) }, ...errorResponses(400, 401, 404, 409) },
});

const remove = createRoute({
  method: "delete",
  path: "/resources/{id}",
  operationId: "deleteResource",
  summary: "Delete a resource server",
  description:
    "Tokens already issued for it stay valid until they expire; grants naming it no longer grant anything. Configured resources are read-only (409).",
  security: ADMIN_SECURITY,
  request: { params: ResourceIdParam },
  responses: { 204: { description: "Deleted." }, ...errorResponses(400, 401, 404, 409) },
});

export function resourceRoutes(app: OpenAPIHono<OpEnv>) {
  app.openapi(list, async (c) => c.json({ resources: await resourceRegistry(c.env) }, 200, NO_STORE));

  app.openapi(read, async (c) => {
    const found = resourceById(await resourceRegistry(c.env), c.req.valid("param").id);
    if (!found) throw notFound("no resource with this id");
    return c.json(found, 200, NO_STORE);
  });

  app.openapi(create, async (c) => {
    const resource = c.req.valid("json");
    await checkResource(c, resource);
    const stored = written(await resourceRegistryObject(c.env).create(resource));
    const location = `${getConfig(c.env).issuer}/admin/resources/${encodeURIComponent(stored.id)}`;
    return c.json({ ...stored, source: "admin" as const }, 201, { ...NO_STORE, Location: location });
  });

  app.openapi(replace, async (c) => {
    const { id } = c.req.valid("param");
    const resource = c.req.valid("json");
    if (resource.id !== id) throw invalidRequest("id: the body's id must be the one in the path");
    await checkResource(c, resource);
    const stored = written(await resourceRegistryObject(c.env).replace(id, resource));
    return c.json({ ...stored, source: "admin" as const }, 200, NO_STORE);
  });

  app.openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    if (getConfig(c.env).configuredResources.some((r) => r.id === id)) throw conflict(`resource ${id} is set by the RESOURCES variable and is read-only here`);
    if (!(await resourceRegistryObject(c.env).delete(id))) throw notFound("no resource with this id");
    forgetResourceRegistry();
    return c.body(null, 204, NO_STORE);
  });
}

/** RFC 9110 §15.5.10: the request conflicts with the registry's current state. */
const conflict = (description: string): OAuthError => invalidRequest(description, { status: 409 });

/** The admin API's checks (rules resourceProblem); the Durable Object checks ids and identifiers among stored resources. */
async function checkResource(c: OpContext, resource: ResourceRecord) {
  const config = getConfig(c.env);
  const problem = resourceProblem(await resourceRegistry(c.env), resource, {
    maxLifetime: config.ttl.accessToken,
    userinfoAudience: userinfoAudience(config.issuer),
    configured: config.configuredResources,
  });
  if (problem) throw problem.kind === "conflict" ? conflict(problem.description) : invalidRequest(problem.description);
}

/** The Durable Object's answer to a write; this isolate's copy of the registry is dropped, so the change shows here at once. */
function written(result: RegistryWriteResult): ResourceRecord {
  forgetResourceRegistry();
  switch (result.status) {
    case "ok":
      return result.resource;
    case "exists":
      throw conflict("a resource with this id exists");
    case "identifier_taken":
      throw conflict(`identifier ${result.identifier} already names resource ${result.by}`);
    case "full":
      throw conflict(`the registry is full (at most ${MAX_RESOURCES} resources, ${MAX_REGISTRY_BYTES / 1024 / 1024} MiB of records)`);
    case "not_found":
      throw notFound("no resource with this id");
  }
}
