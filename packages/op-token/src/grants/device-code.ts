import { accessDenied, authorizationPending, expiredToken, invalidGrant, invalidRequest, invalidTarget, randomToken, slowDown } from "@op/core";
import { narrowResources, parseDeviceCode, refreshTokenJkt } from "@op/rules";
import { type DevicePollResult, deviceAuthorizationObject } from "@op/storage";
import type { GrantContext, TokenResponse } from "./context";
import { startGrant } from "./issue-tokens";

/** RFC 8628 §3.4-3.5: the client polls with its device code until the user has answered. */
export async function deviceCodeGrant({ env, client, params, resources, registry, boundThumbprint, dpopJkt }: GrantContext): Promise<TokenResponse> {
  const deviceCode = requireDeviceCode(params.device_code);
  const { record, approval } = approvedOrThrow(await deviceAuthorizationObject(env, deviceCode.userCode).poll(deviceCode.secret, client.client_id, resources));
  const authorization = {
    ...approval,
    clientId: client.client_id,
    scope: record.scopes.join(" "),
    resources: record.resources,
    authTimeRequired: client.require_auth_time ?? false,
    grantId: record.grantId ?? randomToken(16),
    certificateThumbprint: boundThumbprint,
    dpopJkt,
    refreshJkt: refreshTokenJkt(client, dpopJkt),
  };
  return startGrant(env, client, authorization, { registry, resources: narrowResources(record.resources, resources) });
}

function requireDeviceCode(deviceCode: string | undefined) {
  if (!deviceCode) throw invalidRequest("device_code is required");
  const parsed = parseDeviceCode(deviceCode);
  if (!parsed) throw invalidGrant("device code is invalid");
  return parsed;
}

/** RFC 8628 §3.5: every state but a fresh approval is an error response; the approval comes once. */
function approvedOrThrow(result: DevicePollResult) {
  switch (result.status) {
    case "approved":
      return result;
    case "pending":
      throw authorizationPending("the user has not answered yet");
    case "slow_down":
      throw slowDown(`polling too fast; wait at least ${result.interval} seconds between requests`);
    case "expired":
      throw expiredToken("the device code has expired; start a new device authorization");
    case "denied":
      throw accessDenied("the user denied the request");
    case "used":
      throw invalidGrant("device code has already been used");
    case "invalid_target":
      throw invalidTarget("requested resource was not granted");
    default:
      throw invalidGrant("device code is invalid");
  }
}
