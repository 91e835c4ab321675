import type { Config } from "@op/core";
import { type BackchannelAnswer, isInternalHost } from "@op/rules";

/**
 * Requests the OP sends on its own to a URL a client registered (today: back-channel logout).
 *
 * `outboundRefusal` is the fetch guard's decision on such a URL, taken before anything is sent and
 * again at registration (op-management client-metadata.ts), so that a URL the OP would refuse to
 * call is refused when it is registered. It is written from the guard pieces on main
 * (`isInternalHost`); the one outbound fetch guard (`fetchRefusal` in @op/rules fetch-guard.ts,
 * branch guard) replaces its body with a single call once it lands.
 */
export function outboundRefusal(uri: string, config: Pick<Config, "development" | "issuer">): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return "not an absolute URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "not an http(s) URL";
  if (url.username || url.password) return "carries credentials";
  if (url.origin === new URL(config.issuer).origin) return "the OP's own origin";
  if (config.development && LOOPBACK.has(url.hostname)) return undefined;
  if (url.protocol !== "https:") return config.development ? "http only to loopback in development" : "not an https URL";
  if (isInternalHost(url.hostname)) return "a host of a private or special-purpose network";
  return undefined;
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** How long one outbound request may take, headers and all (the same bound as fetched client documents). */
export const OUTBOUND_TIMEOUT_MS = 5_000;

export type OutboundResult = { answer: BackchannelAnswer } | { refused: string };

/**
 * One POST of an application/x-www-form-urlencoded body to a client's URL: the guard first, no
 * credentials or cookies (a Worker's fetch keeps no cookie jar, and nothing is added), redirects
 * not followed (a redirect could lead where the guard refuses), the answer's status within
 * OUTBOUND_TIMEOUT_MS and its body left unread (cancelled), so a relying party can neither hold
 * the OP nor make it buffer.
 */
export async function postForm(config: Pick<Config, "development" | "issuer">, uri: string, form: Record<string, string>): Promise<OutboundResult> {
  const refusal = outboundRefusal(uri, config);
  if (refusal) return { refused: `refused by the fetch guard: ${refusal}` };
  const target = new URL(uri);
  target.hash = "";
  try {
    const res = await fetch(target.href, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "*/*" },
      body: new URLSearchParams(form),
      redirect: "manual",
      signal: AbortSignal.timeout(OUTBOUND_TIMEOUT_MS),
    });
    await res.body?.cancel().catch(() => {});
    return { answer: res.status };
  } catch (err) {
    const name = (err as { name?: string }).name;
    return { answer: name === "TimeoutError" || name === "AbortError" ? "timeout" : "unreachable" };
  }
}
