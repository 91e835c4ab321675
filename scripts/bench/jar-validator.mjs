// Validations per second of the JAR request object validator (packages/op-auth/src/authorize/request-object),
// the function /authorize and /par call for every `request`. It is bundled with esbuild (the
// bundler wrangler uses) for Node and run in one thread: the validator is plain WebCrypto + JSON,
// which Node and workerd both run on V8 with BoringSSL/OpenSSL primitives, so this measures its
// CPU cost without the HTTP, service binding and Durable Object hops around it. Objects here carry
// no `jti` and are not encrypted: those two steps are one Durable Object call each (ReplayGuard,
// KeyStore), whose cost is the DO round trip measured by scripts/bench/run.mjs, not the validator's.
// The `cloudflare:workers` import (DurableObject base class of those two DOs) is replaced by an
// empty class so the module graph loads; neither DO is called on these paths.
//
//   node scripts/bench/jar-validator.mjs [seconds per case, default 2]

import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "../..");
const esbuild = createRequire(createRequire(path.join(root, "package.json")).resolve("wrangler"))("esbuild");
const seconds = Number(process.argv[2] ?? 2);

async function bundle() {
  const dir = mkdtempSync(path.join(tmpdir(), "jar-bench-"));
  const outfile = path.join(dir, "validator.mjs");
  await esbuild.build({
    stdin: {
      contents: `export { validateRequestObject } from "./src/authorize/request-object/validate.ts"; export { SignJWT, generateKeyPair, exportJWK, base64url } from "jose";`,
      resolveDir: path.join(root, "packages/op-auth"),
      loader: "ts",
    },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    outfile,
    logLevel: "error",
    plugins: [
      {
        name: "cloudflare-workers-base-class",
        setup(build) {
          build.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: "cloudflare:workers", namespace: "shim" }));
          build.onLoad({ filter: /.*/, namespace: "shim" }, () => ({
            contents: "export class DurableObject { constructor(ctx, env) { this.ctx = ctx; this.env = env; } }",
            loader: "js",
          }));
        },
      },
    ],
  });
  return { dir, module: await import(pathToFileURL(outfile).href) };
}

async function measure(name, fn) {
  for (let i = 0; i < 200; i++) await fn(); // warm-up: JIT and key import paths
  let n = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  const perSecond = (n / (performance.now() - start)) * 1000;
  return { case: name, validationsPerSecond: Math.round(perSecond), microsecondsEach: Math.round(1e6 / perSecond) };
}

const { dir, module: m } = await bundle();
try {
  const issuer = "http://localhost:8787";
  const env = { ISSUER: issuer, ENVIRONMENT: "development" };
  const now = () => Math.floor(Date.now() / 1000);
  const claims = (clientId) => ({
    iss: clientId,
    aud: issuer,
    client_id: clientId,
    response_type: "code",
    scope: "openid email",
    redirect_uri: "https://rp.example.com/cb",
    state: "af0ifjsldkj",
    nonce: "n-0S6_WzA2Mj",
    code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    code_challenge_method: "S256",
    iat: now(),
    exp: now() + 300,
  });
  const results = [];
  for (const alg of ["ES256", "RS256", "PS256"]) {
    const { privateKey, publicKey } = await m.generateKeyPair(alg, { extractable: true });
    const client = { client_id: `bench-${alg}`, jwks: { keys: [{ ...(await m.exportJWK(publicKey)), kid: "k", use: "sig", alg }] } };
    const jwt = await new m.SignJWT(claims(client.client_id)).setProtectedHeader({ alg, kid: "k" }).sign(privateKey);
    results.push(await measure(`signed ${alg}, accepted`, () => m.validateRequestObject(env, client, jwt, { signatureRequired: false })));
    if (alg === "ES256") {
      const expired = await new m.SignJWT({ ...claims(client.client_id), exp: now() - 3600 }).setProtectedHeader({ alg, kid: "k" }).sign(privateKey);
      results.push(
        await measure("signed ES256, rejected (expired)", () =>
          m.validateRequestObject(env, client, expired, { signatureRequired: false }).catch(() => undefined),
        ),
      );
    }
  }
  const enc = (v) => m.base64url.encode(JSON.stringify(v));
  const unsignedClient = { client_id: "bench-none" };
  const unsigned = `${enc({ alg: "none" })}.${enc(claims(unsignedClient.client_id))}.`;
  results.push(await measure("unsigned (alg none), accepted", () => m.validateRequestObject(env, unsignedClient, unsigned, { signatureRequired: false })));
  results.push(
    await measure("garbage, rejected", () => m.validateRequestObject(env, unsignedClient, "x.y.z", { signatureRequired: false }).catch(() => undefined)),
  );
  console.table(results);
  console.log(JSON.stringify({ node: process.version, cpu: (await import("node:os")).cpus()[0]?.model, secondsPerCase: seconds, results }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
