import fc from "fast-check";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { DpopKey, form } from "./dpop-helpers";
import { b64json, basicAuth, ISSUER, machineClient, op, type RegisteredClient } from "./helpers";

/**
 * DPoP headers an attacker can send (RFC 9449 §4.3): random text, JWT-shaped junk, real proofs
 * with a header or claim mutated (types, sizes, algorithms, keys, unicode), several headers,
 * with Bearer or DPoP Authorization at userinfo. Whatever arrives, the answer is an RFC-shaped
 * error or a success, never a 5xx; a success only for a proof the key really signed.
 */

const headerSafe = (s: string) => s.replace(/[^\x21-\x7e]/g, "A").slice(0, 6000) || "A";

let key: DpopKey;
let client: RegisteredClient;
let accessToken: string;
beforeAll(async () => {
  key = await DpopKey.generate();
  client = await machineClient(
    { client_credentials: [{ resource: "test-api", scopes: ["read"] }] },
    { grant_types: ["client_credentials"], redirect_uris: undefined },
  );
  // A DPoP-bound token for userinfo's cases (a client's own token: userinfo refuses it in the end, after every DPoP check).
  const res = await key.fetch("/token", form({ grant_type: "client_credentials" }, { authorization: basicAuth(client.client_id, client.client_secret!) }));
  expect(res.status).toBe(200);
  accessToken = (await res.json<{ access_token: string }>()).access_token;
});

const jsonValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.object({ maxDepth: 1 }),
);
const headerMutation = fc.record({
  member: fc.constantFrom("alg", "typ", "jwk", "kid", "crit", "b64", "x5c"),
  value: fc.oneof(jsonValue, fc.constantFrom("none", "HS256", "RS256", "ES512", "dpop+jwt", "DPOP+JWT", "application/dpop+jwt", "JWT")),
});
const claimMutation = fc.record({
  member: fc.constantFrom("jti", "htm", "htu", "iat", "nonce", "ath", "exp", "nbf"),
  value: fc.oneof(jsonValue, fc.constantFrom("POST", "GET", `${ISSUER}/token`, `${ISSUER}/token?x#y`, "HTTP://LOCALHOST:8787/./token", "😀")),
});

async function mutatedProof(h: { member: string; value: unknown }[], c: { member: string; value: unknown }[], signed: boolean): Promise<string> {
  const header: Record<string, unknown> = { alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk };
  const claims: Record<string, unknown> = {
    jti: crypto.randomUUID(),
    htm: "POST",
    htu: `${ISSUER}/token`,
    iat: Math.floor(Date.now() / 1000),
    nonce: key.nonce,
  };
  for (const m of h) header[m.member] = m.value;
  for (const m of c) claims[m.member] = m.value;
  if (!signed) return `${b64json(header)}.${b64json(claims)}.${b64json("sig")}`;
  try {
    return await new SignJWT(claims).setProtectedHeader({ ...header, alg: "ES256" } as never).sign(key.privateKey);
  } catch {
    return `${b64json(header)}.${b64json(claims)}.`;
  }
}

const dpopValue: fc.Arbitrary<DpopCase> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.array(headerMutation, { maxLength: 2 }), fc.array(claimMutation, { maxLength: 3 }), fc.boolean())
      .map((t): DpopCase => ({ kind: "mutated", t })),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s): DpopCase => ({ kind: "text", s })) },
  {
    weight: 1,
    arbitrary: fc.array(fc.base64String({ maxLength: 60 }), { minLength: 1, maxLength: 5 }).map((parts): DpopCase => ({ kind: "text", s: parts.join(".") })),
  },
  { weight: 1, arbitrary: fc.integer({ min: 8000, max: 20000 }).map((n): DpopCase => ({ kind: "text", s: "A".repeat(n) })) },
);

type Mutation = { member: string; value: unknown };
type DpopCase = { kind: "mutated"; t: [Mutation[], Mutation[], boolean] } | { kind: "text"; s: string };

async function render(v: DpopCase) {
  return v.kind === "text" ? headerSafe(v.s) : mutatedProof(v.t[0], v.t[1], v.t[2]);
}

async function expectSafe(res: Response, what: string) {
  const text = await res.clone().text();
  expect(res.status, `${what}: ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error?: unknown };
    expect(typeof body.error, text).toBe("string");
  }
}

describe("DPoP header fuzz (RFC 9449 §4.3): no 5xx, only signed proofs succeed", () => {
  it("token endpoint", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(dpopValue, { minLength: 1, maxLength: 2 }), async (values) => {
        const headers = new Headers({ "content-type": "application/x-www-form-urlencoded", authorization: basicAuth(client.client_id, client.client_secret!) });
        for (const v of values) headers.append("dpop", await render(v));
        const res = await op("/token", { method: "POST", headers, body: "grant_type=client_credentials" });
        await expectSafe(res, "token");
        if (res.status === 200) {
          // Only a real signature by the key, alone, yields a DPoP-bound token.
          expect(values).toHaveLength(1);
          expect((await res.json<{ token_type: string }>()).token_type).toBe("DPoP");
        }
      }),
      { numRuns: 120 },
    );
  }, 120_000);

  it("userinfo, with the DPoP and the Bearer scheme", async () => {
    await fc.assert(
      fc.asyncProperty(dpopValue, fc.constantFrom("DPoP", "Bearer", "dpop", "DPoP  "), async (value, scheme) => {
        const res = await op("/userinfo", { headers: { authorization: `${scheme} ${accessToken}`, dpop: await render(value) } });
        await expectSafe(res, "userinfo");
        expect(res.status).not.toBe(200); // a client_credentials token is no user's; and these proofs are for POST /token
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});
