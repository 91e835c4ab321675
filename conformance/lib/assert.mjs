// Assertion helpers for the modules. A failed check throws Failure with one short line; a
// module that cannot apply throws NotApplicable with the reason.

export class Failure extends Error {}
export class NotApplicable extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(typeof message === "function" ? message() : message);
}

export function equal(actual, expected, what) {
  check(actual === expected, () => `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

export function notApplicable(reason) {
  throw new NotApplicable(reason);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** RFC 6749 §5.2 / §4.1.2.1: error and error_description use %x20-21 / %x23-5B / %x5D-7E only. */
export function checkErrorSyntax(body, where) {
  const ok = (s) => /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(s);
  check(typeof body.error === "string" && body.error && ok(body.error), `${where}: error "${body.error}" has characters RFC 6749 §5.2 forbids`);
  if (body.error_description !== undefined)
    check(typeof body.error_description === "string" && ok(body.error_description), `${where}: error_description has characters RFC 6749 §5.2 forbids`);
  if (body.error_uri !== undefined) check(typeof body.error_uri === "string" && URL.canParse(body.error_uri), `${where}: error_uri is not a URI`);
}
