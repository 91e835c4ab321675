import { invalidRequest, payloadTooLarge } from "@op/core";

export interface ReadParams {
  params: Record<string, string>;
  duplicates: string[];
  /** Every `resource` value: RFC 8707 §2 lets it repeat, so it is never a duplicate. */
  resources: string[];
  /** Every `audience` value (RFC 8693 §2.1, repeatable too). */
  audiences: string[];
}

/** The body size an endpoint's form may have, unless it says otherwise. */
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * Reads an application/x-www-form-urlencoded body. RFC 6749 §3.2/§3.1: parameters must not
 * repeat; the caller decides whether that is an error by looking at `duplicates`.
 */
export async function readForm(request: Request, maxBytes = MAX_FORM_BYTES): Promise<ReadParams> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw invalidRequest("Content-Type must be application/x-www-form-urlencoded");
  }
  const text = await readLimitedText(request, maxBytes);
  return paramsOf(new URLSearchParams(text));
}

export async function readLimitedText(request: Request, maxBytes: number): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > maxBytes) throw payloadTooLarge();
  const buf = await request.arrayBuffer();
  if (buf.byteLength > maxBytes) throw payloadTooLarge();
  return new TextDecoder().decode(buf);
}

const REPEATABLE = new Set(["resource", "audience"]);

export function paramsOf(search: URLSearchParams): ReadParams {
  const params: Record<string, string> = {};
  const duplicates: string[] = [];
  const resources: string[] = [];
  const audiences: string[] = [];
  for (const [k, v] of search) {
    if (k === "resource") resources.push(v);
    if (k === "audience") audiences.push(v);
    if (k in params) {
      if (!REPEATABLE.has(k)) duplicates.push(k);
    } else params[k] = v;
  }
  return { params, duplicates, resources, audiences };
}

/** RFC 6749 §3.1, §3.2: request and response parameters must not be included more than once. */
export function rejectDuplicates(duplicates: string[]): void {
  if (duplicates.length) throw invalidRequest(`parameter ${duplicates[0]} is included more than once`);
}

/** RFC 6750 §2.1: the bearer token of an Authorization header, if it has that form. */
export function bearerToken(request: Request): string | undefined {
  const h = request.headers.get("authorization");
  const m = h && /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(h);
  return m ? m[1] : undefined;
}

/**
 * Drains an unread body (up to a bound, then cancels), so a request forwarded over a service
 * binding is not left half-streamed when we answer early.
 */
export async function discardBody(request: Request, maxBytes = 1024 * 1024): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  const reader = request.body.getReader();
  try {
    for (let seen = 0; seen <= maxBytes; ) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // The client went away; nothing to drain.
  }
}
