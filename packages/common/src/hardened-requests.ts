import type { Config, HardeningMode } from "./config";
import type { Client } from "./schemas/client";

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

export function effectiveMode(config: Pick<Config, "hardening">, client: ClientModes, feature: HardenedFeature): HardeningMode {
  const server = config.hardening[feature];
  if (server !== "optional") return server;
  return clientMode(client, feature) ?? "optional";
}

export const isEnabled = (config: Pick<Config, "hardening">, client: ClientModes, feature: HardenedFeature) => effectiveMode(config, client, feature) !== "disabled";
export const isRequired = (config: Pick<Config, "hardening">, client: ClientModes, feature: HardenedFeature) => effectiveMode(config, client, feature) === "required";

/** Registration refuses a client that asks for a feature the server has switched off. */
export function conflictingClientMode(config: Pick<Config, "hardening">, client: ClientModes): HardenedFeature | undefined {
  for (const feature of ["par", "jar", "jarm"] as const) {
    const wish = clientMode(client, feature);
    if (config.hardening[feature] === "disabled" && wish === "required") return feature;
  }
  return undefined;
}
