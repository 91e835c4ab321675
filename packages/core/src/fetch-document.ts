/**
 * Documents a client publishes and the OP fetches (jwks_uri, request_uri, sector_identifier_uri):
 * one GET with no redirects (a redirect could lead anywhere: RFC 9101 §10.4.1), a timeout, and the
 * body read up to a size limit, so a client cannot make the OP wait or buffer without bound.
 * Failures say why; each caller turns them into its own error code.
 */
export class DocumentFetchError extends Error {
  constructor(
    readonly reason: "unreachable" | "status" | "too_large" | "unreadable",
    message: string,
  ) {
    super(message);
  }
}

export interface DocumentFetchOptions {
  accept: string;
  maxBytes: number;
  /** 5 s unless said otherwise: the same bound for every document a client publishes. */
  timeoutMs?: number;
}

export async function fetchBoundedDocument(url: string, { accept, maxBytes, timeoutMs = 5_000 }: DocumentFetchOptions): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept }, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch {
    throw new DocumentFetchError("unreachable", "could not be fetched");
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new DocumentFetchError("status", `answered ${res.status}, expected 200`); // a redirect too: none is followed
  }
  return readBounded(res, maxBytes);
}

async function readBounded(res: Response, maxBytes: number): Promise<string> {
  const tooLarge = () => new DocumentFetchError("too_large", `is larger than ${maxBytes} bytes`);
  if (Number(res.headers.get("content-length") ?? 0) > maxBytes) {
    await res.body?.cancel();
    throw tooLarge();
  }
  if (!res.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof DocumentFetchError) throw err;
    throw new DocumentFetchError("unreadable", "could not be read");
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
