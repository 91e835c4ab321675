import { OAuthError } from "@op/core";

/** RFC 6749 §5.1: token-bearing responses must not be cached. */
export const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json;charset=UTF-8", ...NO_STORE, ...headers } });
}

/** Renders any error as RFC 6749 §5.2 JSON; unknown errors become server_error without detail. */
export function errorResponse(err: unknown, requestId?: string): Response {
  if (err instanceof OAuthError) return json(err.toJSON(), err.status, err.headers);
  console.error(JSON.stringify({ level: "error", requestId, message: err instanceof Error ? err.message : String(err) }));
  return json({ error: "server_error", error_description: "The server encountered an unexpected condition" }, 500);
}

/**
 * Reads an application/x-www-form-urlencoded body. RFC 6749 §3.2/§3.1: parameters must not
 * repeat; the caller decides whether that is an error by looking at `duplicates`.
 */
export async function readForm(request: Request, maxBytes = 64 * 1024): Promise<ReadParams> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  }
  const text = await readLimitedText(request, maxBytes);
  return paramsOf(new URLSearchParams(text));
}

export async function readLimitedText(request: Request, maxBytes: number): Promise<string> {
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > maxBytes) throw new OAuthError("invalid_request", "request body too large", { status: 413 });
  const buf = await request.arrayBuffer();
  if (buf.byteLength > maxBytes) throw new OAuthError("invalid_request", "request body too large", { status: 413 });
  return new TextDecoder().decode(buf);
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

export interface ReadParams {
  params: Record<string, string>;
  duplicates: string[];
  /** Every `resource` value: RFC 8707 §2 lets it repeat, so it is never a duplicate. */
  resources: string[];
  /** Every `audience` value (RFC 8693 §2.1, repeatable too). */
  audiences: string[];
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

export function rejectDuplicates(duplicates: string[]): void {
  if (duplicates.length) throw new OAuthError("invalid_request", `parameter ${duplicates[0]} is included more than once`);
}

export function bearerToken(request: Request): string | undefined {
  const h = request.headers.get("authorization");
  const m = h && /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(h);
  return m ? m[1] : undefined;
}

/**
 * Hono middleware for Workers reached over a service binding: drain whatever request body the
 * handler left unread before the response goes out, so the caller is not left streaming it.
 */
export const drainUnreadBody = async (c: { req: { raw: Request } }, next: () => Promise<void>) => {
  await next();
  await discardBody(c.req.raw);
};

export const notFound = () => json({ error: "not_found", error_description: "no such endpoint" }, 404);

/** 405 with the methods an endpoint accepts (RFC 9110 §15.5.6). */
export const methodNotAllowed = (allow: string) => json({ error: "invalid_request", error_description: "method not allowed" }, 405, { Allow: allow });
