import { getConfig, randomToken, sha256b64url, type ValidatedAuthorizationRequest } from "@op/core";
import { type Env, interactionObject } from "@op/storage";
import { interactionCookieName, interactionPath, setCookie } from "../cookies";
import { seeOther } from "../html";

/**
 * Parks a validated request that needs the user in a new Interaction object, bound to this
 * browser by a cookie scoped to the interaction's path, and sends the browser to its page.
 */
export async function beginInteraction(env: Env, req: ValidatedAuthorizationRequest): Promise<Response> {
  const config = getConfig(env);
  const uid = randomToken(16);
  const browserSecret = randomToken(32);
  const now = Date.now();
  await interactionObject(env, uid).begin({
    uid,
    request: req,
    browserHash: await sha256b64url(browserSecret),
    csrfToken: randomToken(32),
    createdAt: now,
    expiresAt: now + config.ttl.interaction * 1000,
  });
  return seeOther(
    `${config.issuer}${interactionPath(uid)}`,
    setCookie(env, interactionCookieName(env), browserSecret, { maxAge: config.ttl.interaction, path: interactionPath(uid) }),
  );
}
