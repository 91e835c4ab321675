import type { Client, Config, HardeningMode } from "@op/core";
import { invalidRequest, requestNotSupported, requestUriNotSupported } from "@op/core";

/**
 * PAR (RFC 9126), JAR (RFC 9101) and JARM each run disabled, optional or required, server-wide
 * (PAR_MODE, JAR_MODE, JARM_MODE) and per client. The server's setting bounds the client's: a
 * disabled feature stays off for everyone, a required one is required of everyone, and under
 * "optional" each client's own mode applies. Every enforcement point asks these functions, so a
 * request is held to one answer whichever way it arrives (direct, pushed, or by request_uri).
 */
export type HardenedFeature = "par" | "jar" | "jarm";

type ClientModes = Pick<Client, "par_mode" | "jar_mode" | "jarm_mode" | "require_pushed_authorization_requests" | "require_signed_request_object">;

/** The client's own wish: the standard booleans (RFC 9126 §6, RFC 9101 §10.5) mean required. */
export function clientMode(client: ClientModes, feature: HardenedFeature): HardeningMode | undefined {
  if (feature === "par" && client.require_pushed_authorization_requests) return "required";
  if (feature === "jar" && client.require_signed_request_object) return "required";
  return feature === "par" ? client.par_mode : feature === "jar" ? client.jar_mode : client.jarm_mode;
}

/** The mode that applies to this client: the server's when it is disabled or required, else the client's (RFC 9126 §6, RFC 9101 §10.5, JARM §3). */
export function effectiveMode(config: Pick<Config, "hardening">, client: ClientModes, feature: HardenedFeature): HardeningMode {
  const server = config.hardening[feature];
  if (server !== "optional") return server;
  return clientMode(client, feature) ?? "optional";
}

/** RFC 9126 §6, RFC 9101 §10.5, JARM §3: the feature may be used by this client. */
export const isEnabled = (config: Pick<Config, "hardening">, client: ClientModes, feature: HardenedFeature) =>
  effectiveMode(config, client, feature) !== "disabled";
/** RFC 9126 §6, RFC 9101 §10.5, JARM §3: the feature must be used by this client. */
export const isRequired = (config: Pick<Config, "hardening">, client: ClientModes, feature: HardenedFeature) =>
  effectiveMode(config, client, feature) === "required";

/** RFC 7591 §2 (invalid_client_metadata): registration refuses a client that requires a feature the server has switched off. */
export function conflictingClientMode(config: Pick<Config, "hardening">, client: ClientModes): HardenedFeature | undefined {
  for (const feature of ["par", "jar", "jarm"] as const) {
    const wish = clientMode(client, feature);
    if (config.hardening[feature] === "disabled" && wish === "required") return feature;
  }
  return undefined;
}

/** How an authorization request arrived: pushed or not (RFC 9126), and where its request object came from (RFC 9101 §5). */
export interface Arrival {
  pushed: boolean;
  requestObject: "absent" | "request" | "request_uri";
}

/**
 * The one enforcement point of the PAR and JAR modes, for the PAR endpoint (pushed) and the
 * authorization endpoint (direct, or by a pushed request_uri). It returns what the request
 * object validator must demand: a signature whenever JAR is required (RFC 9101 §10.5).
 */
export function enforceHardening(config: Pick<Config, "hardening">, client: ClientModes, arrival: Arrival): { signatureRequired: boolean } {
  const par = effectiveMode(config, client, "par");
  const jar = effectiveMode(config, client, "jar");
  if (arrival.pushed && par === "disabled") throw invalidRequest("pushed authorization requests are not enabled for this client");
  if (!arrival.pushed && par === "required") throw invalidRequest("this client must push its authorization requests (RFC 9126 §6)");
  if (arrival.requestObject === "request" && jar === "disabled") throw requestNotSupported("the request parameter is not supported for this client");
  if (arrival.requestObject === "request_uri" && jar === "disabled") throw requestUriNotSupported("the request_uri parameter is not supported for this client");
  if (arrival.requestObject === "absent" && jar === "required") throw invalidRequest("this client must send a signed request object (RFC 9101 §10.5)");
  return { signatureRequired: jar === "required" };
}
