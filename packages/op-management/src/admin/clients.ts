import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import {
  type AuthenticatedClient,
  type ClientGrants as ClientGrantsRecord,
  getConfig,
  hashSecret,
  invalidRequest,
  notFound,
  randomToken,
  sealSecret,
  usesClientSecret,
} from "@op/core";
import { NO_STORE, type OpContext, type OpEnv } from "@op/http";
import { effectiveGrants, grantsProblem } from "@op/rules";
import { clientObject, freshClient, resourceRegistry } from "@op/storage";
import { ADMIN_SECURITY, errorResponses, json } from "./responses";
import { ClientGrants, ClientGrantsView, ClientIdParam, SecretRotation } from "./schemas";

const rotateSecret = createRoute({
  method: "post",
  path: "/clients/{client_id}/secret",
  operationId: "rotateClientSecret",
  summary: "Rotate a client's secret",
  description:
    "Returns the new secret once; the previous one keeps working for CLIENT_SECRET_ROTATION_OVERLAP seconds. Only clients of a client_secret_* method have one.",
  security: ADMIN_SECURITY,
  request: { params: ClientIdParam },
  responses: { 200: { description: "The new secret.", content: json(SecretRotation) }, ...errorResponses(400, 401, 404) },
});

const readGrants = createRoute({
  method: "get",
  path: "/clients/{client_id}/grants",
  operationId: "readClientGrants",
  summary: "What a client may obtain without a user",
  security: ADMIN_SECURITY,
  request: { params: ClientIdParam },
  responses: { 200: { description: "The client's grants and whence they come.", content: json(ClientGrantsView) }, ...errorResponses(400, 401, 404) },
});

const replaceGrants = createRoute({
  method: "put",
  path: "/clients/{client_id}/grants",
  operationId: "replaceClientGrants",
  summary: "Set a client's grants",
  description: "Replaces them whole. Every resource named must be registered and every scope one of its own. Effective at the client's next token request.",
  security: ADMIN_SECURITY,
  request: { params: ClientIdParam, body: { required: true, content: json(ClientGrants) } },
  responses: { 200: { description: "The client's grants now.", content: json(ClientGrantsView) }, ...errorResponses(400, 401, 404) },
});

const resetGrants = createRoute({
  method: "delete",
  path: "/clients/{client_id}/grants",
  operationId: "resetClientGrants",
  summary: "Return a client to the default grants",
  description: "Drops the operator's grants; CLIENT_GRANTS_DEFAULT applies again.",
  security: ADMIN_SECURITY,
  request: { params: ClientIdParam },
  responses: { 200: { description: "The client's grants now.", content: json(ClientGrantsView) }, ...errorResponses(400, 401, 404) },
});

export function clientRoutes(app: OpenAPIHono<OpEnv>) {
  app.openapi(rotateSecret, async (c) => {
    const { client_id: clientId } = c.req.valid("param");
    const config = getConfig(c.env);
    const client = await existingClient(c, clientId);
    if (!usesClientSecret(client.token_endpoint_auth_method))
      throw invalidRequest(`this client authenticates with ${client.token_endpoint_auth_method}, not a secret`);
    const secret = randomToken(32);
    const sealed =
      client.token_endpoint_auth_method === "client_secret_jwt" ? await sealSecret(config.clientSecretEncryptionKey!, clientId, secret) : undefined;
    if (!(await clientObject(c.env, clientId).rotateSecret(await hashSecret(secret), sealed, config.clientSecretRotationOverlap * 1000))) {
      throw invalidRequest("this client has no secret to rotate");
    }
    return c.json({ client_id: clientId, client_secret: secret, previous_secret_valid_for: config.clientSecretRotationOverlap }, 200, NO_STORE);
  });

  app.openapi(readGrants, async (c) => {
    const client = await existingClient(c, c.req.valid("param").client_id);
    return c.json(await grantsView(c, client, client.operatorGrants), 200, NO_STORE);
  });

  app.openapi(replaceGrants, async (c) => {
    const client = await existingClient(c, c.req.valid("param").client_id);
    const grants = c.req.valid("json");
    const problem = grantsProblem(await resourceRegistry(c.env), grants);
    if (problem) throw invalidRequest(problem);
    if (!(await clientObject(c.env, client.client_id).setGrants(grants))) throw notFound("no client with this client_id");
    return c.json(await grantsView(c, client, grants), 200, NO_STORE);
  });

  app.openapi(resetGrants, async (c) => {
    const client = await existingClient(c, c.req.valid("param").client_id);
    if (!(await clientObject(c.env, client.client_id).setGrants(null))) throw notFound("no client with this client_id");
    return c.json(await grantsView(c, client, null), 200, NO_STORE);
  });
}

async function existingClient(c: OpContext, clientId: string): Promise<AuthenticatedClient> {
  const client = await freshClient(c.env, clientId);
  if (!client) throw notFound("no client with this client_id");
  return client;
}

/** What applies to the client with `operatorGrants` (its stored ones, or those just written). */
async function grantsView(c: OpContext, client: AuthenticatedClient, operatorGrants: ClientGrantsRecord | null) {
  const { grants, source } = effectiveGrants(client, operatorGrants, getConfig(c.env), await resourceRegistry(c.env));
  return { client_id: client.client_id, source, grants };
}
