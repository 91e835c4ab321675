import { describe, expect, it } from "vitest";
import { op } from "./helpers";

describe("every Worker's entry point", () => {
  it("returns a request id, the caller's when well-formed, through the service binding too", async () => {
    for (const path of ["/.well-known/openid-configuration", "/token", "/register", "/authorize"]) {
      const fresh = await op(path);
      expect(fresh.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/);
      const given = await op(path, { headers: { "x-request-id": "trace-1234567" } });
      expect(given.headers.get("x-request-id"), path).toBe("trace-1234567");
      const junk = await op(path, { headers: { "x-request-id": "bad id with spaces" } });
      expect(junk.headers.get("x-request-id"), path).not.toBe("bad id with spaces");
    }
  });

  it("refuses bodies over the limit with 413 before reading them: JSON on APIs, a page on browser endpoints", async () => {
    const post = (path: string) =>
      op(path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": String(300 * 1024) },
        body: "x=".padEnd(300 * 1024, "y"),
      });
    for (const path of ["/token", "/register", "/introspect"]) {
      const res = await post(path);
      expect(res.status, path).toBe(413);
      expect(await res.json()).toMatchObject({ error: "invalid_request" });
    }
    const page = await post("/authorize");
    expect(page.status).toBe(413);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  });
});
