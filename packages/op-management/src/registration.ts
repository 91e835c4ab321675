import {
  type Client,
  getConfig,
  hashSecret,
  invalidClientMetadata,
  invalidRequest,
  invalidToken,
  notFound,
  PATHS,
  randomToken,
  sealSecret,
  serverError,
  timingSafeEqual,
  usesClientSecret,
} from "@op/core";
import { bearerToken, clientAddress, json, readLimitedText } from "@op/http";
import { cacheClient, clientObject, type Env, enforceRateLimit, isPlausibleClientId, uncacheClient } from "@op/storage";
import { validateClientMetadata } from "./client-metadata";
import { checkSubjectType } from "./sector-identifier";

const MAX_BODY = 32 * 1024;

/** RFC 7591 §3: register a client. */
export async function registerClient(request: Request, env: Env): Promise<Response> {
  const config = getConfig(env);
  await enforceRateLimit(env, "register:ip", clientAddress(request)); // before the token check: guessing it is throttled too
  checkRegistrationAllowed(request, env);
  const { metadata, localized } = validateClientMetadata(await readJson(request), config);
  await checkSubjectType(env, metadata, null);
  const now = Math.floor(Date.now() / 1000);
  const client: Client = { ...metadata, client_id: randomToken(16), client_id_issued_at: now, client_secret_expires_at: 0, localized };
  // A client that authenticates with keys or a certificate gets no secret it would never use.
  const secret = usesClientSecret(metadata.token_endpoint_auth_method) ? randomToken(32) : undefined;
  const registrationAccessToken = randomToken(32);
  const created = await clientObject(env, client.client_id).create(client, {
    secretHash: secret && (await hashSecret(secret)),
    sealedSecret:
      metadata.token_endpoint_auth_method === "client_secret_jwt" ? await sealSecret(config.clientSecretEncryptionKey!, client.client_id, secret!) : undefined,
    registrationTokenHash: await hashSecret(registrationAccessToken),
  });
  if (!created) throw serverError("client id collision");
  await cacheClient(env, client);
  return json({ ...clientInformation(client, env), ...(secret ? { client_secret: secret } : {}), registration_access_token: registrationAccessToken }, 201, {
    Location: registrationClientUri(env, client.client_id),
  });
}

/** Open in development, an initial access token when one is configured, otherwise disabled. */
function checkRegistrationAllowed(request: Request, env: Env) {
  const config = getConfig(env);
  if (config.registration === "disabled") throw notFound("dynamic registration is disabled");
  if (config.registration === "initial_access_token") {
    const presented = bearerToken(request);
    if (!presented || !timingSafeEqual(presented, config.initialAccessToken!)) throw invalidToken("a valid initial access token is required");
  }
}

async function readJson(request: Request): Promise<unknown> {
  if (!(request.headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
    throw invalidClientMetadata("Content-Type must be application/json");
  }
  const text = await readLimitedText(request, MAX_BODY);
  try {
    return JSON.parse(text);
  } catch {
    throw invalidClientMetadata("the request body is not valid JSON");
  }
}

const registrationClientUri = (env: Env, clientId: string) => `${getConfig(env).issuer}${PATHS.registration}/${encodeURIComponent(clientId)}`;

/** RFC 7591 §3.2.1 client information response (no secret: only its hash is kept). */
function clientInformation(client: Client, env: Env) {
  const { localized, ...metadata } = client;
  return { ...metadata, ...localized, registration_client_uri: registrationClientUri(env, client.client_id) };
}

/** RFC 7592 §2: the registration access token authorizes management of its client only. */
async function authorizeManagement(request: Request, env: Env, clientId: string): Promise<Client> {
  const token = bearerToken(request);
  if (!token) throw invalidToken("registration access token is required");
  const client = isPlausibleClientId(clientId) ? await clientObject(env, clientId).checkRegistrationToken(token) : null;
  if (!client) throw invalidToken("registration access token is invalid");
  return client;
}

/** RFC 7592 §2.1 */
export async function readClient(request: Request, env: Env, clientId: string): Promise<Response> {
  const client = await authorizeManagement(request, env, clientId);
  return json(clientInformation(client, env));
}

/** RFC 7592 §2.2: the body replaces the metadata; server-managed fields must match or be absent. */
export async function updateClient(request: Request, env: Env, clientId: string): Promise<Response> {
  const current = await authorizeManagement(request, env, clientId);
  const body = await readJson(request);
  if (!body || typeof body !== "object") throw invalidClientMetadata("the request body must be a JSON object");
  const b = body as Record<string, unknown>;
  if (b.client_id !== clientId) throw invalidRequest("client_id must match the client being updated");
  for (const field of ["registration_access_token", "registration_client_uri", "client_id_issued_at", "client_secret_expires_at"]) {
    if (field in b) throw invalidRequest(`${field} must not be sent`);
  }
  if (typeof b.client_secret === "string" && !(await clientObject(env, clientId).authenticateSecret(b.client_secret))) {
    throw invalidRequest("client_secret does not match the current secret");
  }
  const { metadata, localized } = validateClientMetadata(b, getConfig(env));
  await checkSubjectType(env, metadata, clientId);
  if ((current.token_endpoint_auth_method === "none") !== (metadata.token_endpoint_auth_method === "none")) {
    throw invalidClientMetadata("a client cannot switch between public and confidential");
  }
  // A secret exists only if the client registered with a secret method, and the sealed secret
  // client_secret_jwt needs only if it registered with that one.
  if (usesClientSecret(metadata.token_endpoint_auth_method) && !usesClientSecret(current.token_endpoint_auth_method)) {
    throw invalidClientMetadata(`switching to ${metadata.token_endpoint_auth_method} needs a new registration: this client has no secret`);
  }
  if (metadata.token_endpoint_auth_method === "client_secret_jwt" && current.token_endpoint_auth_method !== "client_secret_jwt") {
    throw invalidClientMetadata("switching to client_secret_jwt needs a new registration");
  }
  const updated = await clientObject(env, clientId).update({ ...current, ...metadata, localized });
  if (!updated) throw invalidToken("registration access token is invalid");
  await cacheClient(env, updated);
  return json(clientInformation(updated, env));
}

/** RFC 7592 §2.3 */
export async function deleteClient(request: Request, env: Env, clientId: string): Promise<Response> {
  await authorizeManagement(request, env, clientId);
  await clientObject(env, clientId).delete();
  await uncacheClient(env, clientId);
  return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
}
