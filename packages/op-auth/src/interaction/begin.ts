import { getConfig, randomToken, sha256b64url, type ValidatedAuthorizationRequest } from "@op/core";
import { type Env, interactionObject } from "@op/storage";
import { interactionPath, readCookie, setCookie } from "../cookies";
import { seeOther } from "../html";

/**
 * Parks a validated request that needs the user in a new Interaction object and sends the
 * browser to its page. The interaction is bound to this browser by a secret in the browser
 * cookie (its SHA-256 is stored): kept across interactions, so parallel tabs share it, and
 * renewed with each one.
 */
export async function beginInteraction(env: Env, request: Request, req: ValidatedAuthorizationRequest): Promise<Response> {
  const config = getConfig(env);
  const uid = randomToken(16);
  const kept = readCookie(request, env, "browser");
  const browserSecret = kept && /^[A-Za-z0-9_-]{43}$/.test(kept) ? kept : randomToken(32);
  const now = Date.now();
  await interactionObject(env, uid).begin({
    uid,
    request: req,
    browserHash: await sha256b64url(browserSecret),
    csrfToken: randomToken(32),
    createdAt: now,
    expiresAt: now + config.ttl.interaction * 1000,
  });
  return seeOther(`${config.issuer}${interactionPath(uid)}`, setCookie(env, "browser", browserSecret, { maxAge: config.ttl.interaction }));
}
