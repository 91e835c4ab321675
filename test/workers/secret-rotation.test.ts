import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { clientObject } from "@op/storage";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { basicAuth, ISSUER, machineClient, op, type RegisteredClient, registerClient, TEST_ADMIN_TOKEN } from "./helpers";

const m2m = { grant_types: ["client_credentials"], redirect_uris: undefined };
/** The operator's grant to these clients: the test API (test/support/test-resources.ts), its read scope. */
const M2M_GRANTS = { client_credentials: [{ resource: "test-api", scopes: ["read"] }] };
const rotate = (clientId: string, token = TEST_ADMIN_TOKEN) =>
  op(`/admin/clients/${clientId}/secret`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
const withBasic = (client: RegisteredClient, secret: string) =>
  op("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, secret) },
    body: "grant_type=client_credentials",
  });
const endOverlap = (clientId: string) =>
  runInDurableObject(clientObject(env, clientId), (_i, state) => {
    const stored = state.storage.kv.get<{ previous: { expiresAt: number } }>("client")!;
    state.storage.kv.put("client", { ...stored, previous: { ...stored.previous, expiresAt: Date.now() - 1 } });
  });

describe("client secret rotation", () => {
  it("keeps the old secret valid for the overlap, then only the new one", async () => {
    const client = await machineClient(M2M_GRANTS, m2m);
    const res = await rotate(client.client_id);
    expect(res.status).toBe(200);
    const { client_secret: fresh, previous_secret_valid_for } = await res.json<{ client_secret: string; previous_secret_valid_for: number }>();
    expect(fresh).not.toBe(client.client_secret);
    expect(previous_secret_valid_for).toBe(86400);
    expect((await withBasic(client, fresh)).status).toBe(200);
    expect((await withBasic(client, client.client_secret!)).status).toBe(200);
    await endOverlap(client.client_id);
    expect((await withBasic(client, client.client_secret!)).status).toBe(401);
    expect((await withBasic(client, fresh)).status).toBe(200);
  });

  it("works for client_secret_jwt, whose sealed secret rotates too", async () => {
    const client = await machineClient(M2M_GRANTS, { ...m2m, token_endpoint_auth_method: "client_secret_jwt" });
    const { client_secret: fresh } = await (await rotate(client.client_id)).json<{ client_secret: string }>();
    const assertWith = async (secret: string) => {
      const jwt = await new SignJWT({ jti: crypto.randomUUID() })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer(client.client_id)
        .setSubject(client.client_id)
        .setAudience(ISSUER)
        .setExpirationTime("1m")
        .sign(new TextEncoder().encode(secret));
      return (
        await op("/token", {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({
            grant_type: "client_credentials",
            client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            client_assertion: jwt,
          }),
        })
      ).status;
    };
    expect(await assertWith(fresh)).toBe(200);
    expect(await assertWith(client.client_secret!)).toBe(200);
    await endOverlap(client.client_id);
    expect(await assertWith(client.client_secret!)).toBe(401);
  });

  it("needs the admin token and a confidential client", async () => {
    const client = await registerClient(m2m);
    expect((await rotate(client.client_id, "wrong")).status).toBe(401);
    const pub = await registerClient({ token_endpoint_auth_method: "none" });
    const res = await rotate(pub.client_id);
    expect(res.status).toBe(400); // it has no secret to rotate
    expect(await res.json()).toMatchObject({ error: "invalid_request" });
    expect((await rotate("unknown")).status).toBe(404);
  });
});
