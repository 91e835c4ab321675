import { type Client, getConfig, hashSecret, PATHS, randomToken, temporarilyUnavailable } from "@op/core";
import { json, type OpContext } from "@op/http";
import { DEVICE_POLL_INTERVAL, formatUserCode, newUserCode } from "@op/rules";
import { deviceAuthorizationObject, type Env } from "@op/storage";
import { authenticatedContext } from "../context";
import { runSteps } from "../steps";

/** Draws of a fresh user code before giving up; with 20^8 codes a second draw is already rare. */
const MAX_USER_CODE_DRAWS = 5;

/**
 * RFC 8628 §3.1-3.2: the device authorization endpoint. The pipeline authenticated the client;
 * the step table checks the request (scopes and resources as at the authorization endpoint);
 * a new DeviceAuthorization object holds it under a fresh user code.
 */
export async function deviceAuthorizationEndpoint(c: OpContext): Promise<Response> {
  const ctx = authenticatedContext(c, "device_authorization");
  await runSteps(ctx);
  const started = await beginDeviceAuthorization(c.env, ctx.get("client"), ctx.get("scopes"), ctx.get("resources"));
  return json(deviceAuthorizationResponse(c.env, started));
}

/** A new request in the object of a fresh user code; a taken code makes us draw another. */
async function beginDeviceAuthorization(env: Env, client: Client, scopes: string[], resources: string[]) {
  const config = getConfig(env);
  const secret = randomToken(32);
  const deviceSecretHash = await hashSecret(secret);
  for (let draw = 0; draw < MAX_USER_CODE_DRAWS; draw++) {
    const userCode = newUserCode();
    const now = Date.now();
    const begun = await deviceAuthorizationObject(env, userCode).begin({
      userCode,
      deviceSecretHash,
      clientId: client.client_id,
      scopes,
      resources,
      createdAt: now,
      expiresAt: now + config.ttl.deviceCode * 1000,
      interval: DEVICE_POLL_INTERVAL,
      status: "pending",
    });
    if (begun) return { userCode, deviceCode: `${userCode}.${secret}` };
  }
  throw temporarilyUnavailable("no free user code; try again");
}

/** RFC 8628 §3.2 */
function deviceAuthorizationResponse(env: Env, started: { userCode: string; deviceCode: string }) {
  const config = getConfig(env);
  const userCode = formatUserCode(started.userCode);
  const verificationUri = `${config.issuer}${PATHS.deviceVerification}`;
  return {
    device_code: started.deviceCode,
    user_code: userCode,
    verification_uri: verificationUri,
    verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: userCode })}`,
    expires_in: config.ttl.deviceCode,
    interval: DEVICE_POLL_INTERVAL,
  };
}
