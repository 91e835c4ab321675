import { invalidTarget } from "@op/core";

const MAX_RESOURCES = 10;

/**
 * RFC 8707 §2: each resource is an absolute URI without a fragment; anything else is
 * invalid_target. The result is deduplicated and sorted so that it compares as a set.
 */
export function parseResources(values: string[]): string[] {
  if (values.length > MAX_RESOURCES) throw invalidTarget(`at most ${MAX_RESOURCES} resource parameters`);
  for (const value of values) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalidTarget("resource must be an absolute URI");
    }
    if (value.includes("#") || url.hash) throw invalidTarget("resource must not contain a fragment");
    if (value.length > 2000) throw invalidTarget("resource is too long");
  }
  return [...new Set(values)].sort();
}

/**
 * RFC 8707 §2.2: a token request may narrow the resources granted, never add to them. The first
 * requested resource that was not granted, or undefined when all were: the one subset rule, for
 * codes, refresh tokens and device codes alike (the Durable Objects call it inside their step).
 */
export function resourceNotGranted(granted: readonly string[], requested: readonly string[]): string | undefined {
  return requested.find((r) => !granted.includes(r));
}

/** RFC 8707 §2.2: the resources a token is for: those requested (each granted), else all granted. */
export function narrowResources(granted: string[], requested: string[]): string[] {
  if (!requested.length) return granted;
  const extra = resourceNotGranted(granted, requested);
  if (extra) throw invalidTarget(`resource ${extra} was not granted`);
  return requested;
}
