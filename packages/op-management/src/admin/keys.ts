import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { NO_STORE, type OpEnv } from "@op/http";
import { keyStore } from "@op/storage";
import { ADMIN_SECURITY, errorResponses, json } from "./responses";
import { KeyRotation, PublishedKeys } from "./schemas";

const rotate = createRoute({
  method: "post",
  path: "/keys/rotate",
  operationId: "rotateKeys",
  summary: "Rotate the signing keys",
  description:
    "New keys are published at once and sign from `active_from` (60 s later); the previous ones stay in /jwks until everything they signed has expired.",
  security: ADMIN_SECURITY,
  responses: { 200: { description: "The new keys and the ones they retire.", content: json(KeyRotation) }, ...errorResponses(401) },
});

const list = createRoute({
  method: "get",
  path: "/keys",
  operationId: "listKeys",
  summary: "The published signing keys",
  security: ADMIN_SECURITY,
  responses: { 200: { description: "The JWK Set, active keys first.", content: json(PublishedKeys) }, ...errorResponses(401) },
});

export function keyRoutes(app: OpenAPIHono<OpEnv>) {
  app.openapi(rotate, async (c) => c.json(await keyStore(c.env).rotate(), 200, NO_STORE));
  // Parsed, not cast: a key store answer the document does not describe fails here, loudly.
  app.openapi(list, async (c) => c.json(PublishedKeys.parse(await keyStore(c.env).jwks()), 200, NO_STORE));
}
