import { type ZodError, z } from "zod";
import { ErrorSchema } from "./schemas";

/** The bearer security scheme of every admin operation: ADMIN_TOKEN (registered in app.ts). */
export const ADMIN_SECURITY = [{ adminToken: [] }];

/** One zod issue as an error description: where, then what (e.g. `identifiers.0: a resource identifier is …`). */
export function describeIssues(error: ZodError, target: string): string {
  const issue = error.issues[0];
  if (!issue) return `the request's ${target} is invalid`;
  const where = issue.path.length ? issue.path.join(".") : target === "json" ? "body" : target;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : "";
  return `${where}: ${issue.message}${more}`;
}

/**
 * The error responses an admin operation declares: each status its handler or the admin
 * middleware can send, and `default` for what the pipeline may send on any route (413, 500).
 */
const errorContent = { "application/json": { schema: ErrorSchema } };
const ERROR_RESPONSES = {
  400: { description: "invalid_request: the request is malformed (the description says where).", content: errorContent },
  401: {
    description: "invalid_token: ADMIN_TOKEN is missing or wrong.",
    headers: z.object({
      "WWW-Authenticate": z.string().meta({ description: 'Bearer realm="<issuer>/admin", with error and error_description when a token was sent.' }),
    }),
    content: errorContent,
  },
  404: { description: "not_found: no such client, resource, account or logout.", content: errorContent },
  409: {
    description: "invalid_request: in conflict with the registry (an id or identifier taken, a configured resource, the registry full).",
    content: errorContent,
  },
} as const;

export function errorResponses<S extends keyof typeof ERROR_RESPONSES>(...statuses: S[]) {
  const picked = Object.fromEntries(statuses.map((s) => [s, ERROR_RESPONSES[s]])) as Pick<typeof ERROR_RESPONSES, S>;
  return { ...picked, default: { description: "Any other error in the same shape (413 body too large, 500 server_error).", content: errorContent } };
}

/** The media type of every JSON answer (the pipeline's and c.json's). */
export const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });
