import { OAUTH_ERROR_CODES } from "@op/core";
import fc from "fast-check";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { basicAuth, ISSUER, machineClient, op, type RegisteredClient } from "./helpers";

/**
 * Fuzzing of the parameters the grants and client authentication methods added after the
 * basic flow: client assertions, token exchange, JWT bearer, resource/audience, introspection
 * and revocation hints, and the development client-certificate header. Each request starts
 * valid and gets a few mutations. No 5xx, errors RFC-shaped, and no success for a request
 * whose proof was broken.
 */
const ERRORS = new Set<string>(OAUTH_ERROR_CODES);
const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const AT_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

let key: { privateKey: CryptoKey; publicKey: CryptoKey };
let jwtClient: RegisteredClient;
let secretClient: RegisteredClient;
let subjectToken: string;
beforeAll(async () => {
  key = await generateKeyPair("ES256", { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(key.publicKey)), kid: "k" }] };
  jwtClient = await machineClient(
    { client_credentials: [{ resource: "test-api", scopes: ["read"] }] },
    {
      grant_types: ["client_credentials", JWT_BEARER],
      redirect_uris: undefined,
      token_endpoint_auth_method: "private_key_jwt",
      jwks,
    },
  );
  secretClient = await machineClient(
    { client_credentials: [{ resource: "test-api", scopes: ["read", "write"] }], token_exchange: ["test-api", "test-downstream"] },
    { grant_types: ["client_credentials", TOKEN_EXCHANGE], redirect_uris: undefined },
  );
  const res = await op("/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(secretClient.client_id, secretClient.client_secret!) },
    body: "grant_type=client_credentials",
  });
  subjectToken = (await res.json<{ access_token: string }>()).access_token;
});

const signed = (claims: Record<string, unknown>) =>
  new SignJWT({ jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k" })
    .setIssuer(jwtClient.client_id)
    .setSubject(jwtClient.client_id)
    .setAudience(ISSUER)
    .setIssuedAt()
    .setExpirationTime("1m")
    .sign(key.privateKey);

const junk = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom("", "a.b.c", "e30.e30.", "null", "urn:ietf:params:oauth:token-type:id_token", "https://api.example.com/#x", "%00", "x".repeat(9000)),
);
/** Breaks a JWT: truncation, a flipped character, swapped segments or an extra segment. */
const broken = (jwt: string) =>
  fc.oneof(
    fc.nat({ max: jwt.length - 1 }).map((i) => jwt.slice(0, i)),
    fc.nat({ max: jwt.length - 2 }).map((i) => jwt.slice(0, i) + (jwt[i] === "A" ? "B" : "A") + jwt.slice(i + 1)),
    fc.constant(jwt.split(".").reverse().join(".")),
    fc.constant(`${jwt}.x`),
  );

type Case = { body: [string, string][]; headers: Record<string, string>; tamperedProof: boolean };

function mutate(base: [string, string][], keys: string[], proofKey: string, proof: string): fc.Arbitrary<Case> {
  const mutation = fc.oneof(
    fc.tuple(fc.constant("set" as const), fc.constantFrom(...keys), junk),
    fc.tuple(fc.constant("drop" as const), fc.constantFrom(...keys), fc.constant("")),
    fc.tuple(fc.constant("dup" as const), fc.constantFrom(...keys), junk),
    fc.tuple(fc.constant("proof" as const), fc.constant(proofKey), broken(proof)),
  );
  return fc
    .tuple(
      fc.array(mutation, { maxLength: 3 }),
      fc.option(
        fc.constantFrom(
          "garbage",
          '{"certPresented":"1"}',
          JSON.stringify({ certPresented: "1", certVerified: "SUCCESS", certFingerprintSHA256: "00".repeat(32) }),
        ),
        { nil: undefined },
      ),
    )
    .map(([ms, cert]) => {
      let body = [...base];
      let tamperedProof = false;
      for (const [op, k, v] of ms) {
        if (op === "set") body = body.map(([bk, bv]) => (bk === k ? [bk, v] : [bk, bv]));
        if (op === "drop") body = body.filter(([bk]) => bk !== k);
        if (op === "dup") body.push([k, v]);
        if (op === "proof") body = body.map(([bk, bv]) => (bk === k ? [bk, v] : [bk, bv]));
        if (k === proofKey && op !== "dup") tamperedProof = true;
      }
      const headers: Record<string, string> = cert ? { "x-dev-tls-client-auth": cert } : {};
      return { body, headers, tamperedProof };
    });
}

async function check(path: string, c: Case, extraHeaders: Record<string, string> = {}) {
  const res = await op(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...extraHeaders, ...c.headers },
    body: new URLSearchParams(c.body),
  });
  const text = await res.text();
  expect(res.status, text).toBeLessThan(500);
  if (res.status >= 400) {
    const body = JSON.parse(text);
    expect(ERRORS.has(body.error), text).toBe(true);
    expect(typeof body.error_description).toBe("string");
  } else if (c.tamperedProof) {
    throw new Error(`a broken proof was accepted: ${JSON.stringify(c.body)} → ${res.status} ${text}`);
  }
  return res.status;
}

describe("fuzzing the grants and client authentication", () => {
  it("client assertions and JWT bearer assertions", async () => {
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("client_credentials", JWT_BEARER), fc.integer(), async (grant, seed) => {
        const clientAssertion = await signed({ n: seed });
        const base: [string, string][] = [
          ["grant_type", grant],
          ["client_assertion_type", ASSERTION_TYPE],
          ["client_assertion", clientAssertion],
          ["resource", "https://api.example.com/"],
        ];
        if (grant === JWT_BEARER) base.push(["assertion", await signed({ m: seed })]);
        const c = fc.sample(
          mutate(
            base,
            base.map(([k]) => k),
            "client_assertion",
            clientAssertion,
          ),
          { numRuns: 1, seed },
        )[0]!;
        statuses.push(await check("/token", c));
      }),
      { numRuns: 150 },
    );
    expect(statuses).toContain(200);
  });

  it("token exchange", async () => {
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.integer(), async (seed) => {
        const base: [string, string][] = [
          ["grant_type", TOKEN_EXCHANGE],
          ["subject_token", subjectToken],
          ["subject_token_type", AT_TYPE],
          ["audience", "https://api.example.com/"],
          ["scope", "read"],
        ];
        const c = fc.sample(mutate(base, ["subject_token_type", "audience", "scope", "grant_type"], "subject_token", subjectToken), { numRuns: 1, seed })[0]!;
        statuses.push(await check("/token", c, { authorization: basicAuth(secretClient.client_id, secretClient.client_secret!) }));
      }),
      { numRuns: 120 },
    );
    expect(statuses).toContain(200);
  });

  it("introspection and revocation", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("/introspect", "/revoke"), fc.integer(), async (path, seed) => {
        const base: [string, string][] = [
          ["token", subjectToken],
          ["token_type_hint", "access_token"],
        ];
        const c = fc.sample(mutate(base, ["token_type_hint"], "token", subjectToken), { numRuns: 1, seed })[0]!;
        // Revoking would end the fuzz subject; a broken token never revokes anything, so keep those only.
        if (path === "/revoke" && !c.tamperedProof) return;
        const status = await check(path, { ...c, tamperedProof: false }, { authorization: basicAuth(secretClient.client_id, secretClient.client_secret!) });
        if (path === "/introspect" && status === 200 && c.tamperedProof) {
          const res = await op(path, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(secretClient.client_id, secretClient.client_secret!) },
            body: new URLSearchParams(c.body),
          });
          expect(await res.json()).toEqual({ active: false });
        }
      }),
      { numRuns: 150 },
    );
  });
});
