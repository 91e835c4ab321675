import type { OpContext } from "@op/http";
import { beginInteraction } from "../../interaction/begin";
import { AuthorizationContext } from "../context";
import { conclude } from "../flow";
import { runSteps } from "../steps";

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST: the step table
 * validates the request, then the decision answers it or sends the user to the interaction that
 * signs them in and asks for consent. Until the client and its redirect URI are trusted, errors
 * are pages; after, the error handler sends them to the client with state and iss
 * (errorTarget, context.ts).
 */
export async function authorizationEndpoint(c: OpContext<{ authorization: AuthorizationContext }>): Promise<Response> {
  const ctx = new AuthorizationContext(c.env, c.req.raw, "authorize");
  c.set("authorization", ctx);
  await runSteps(ctx);
  const req = ctx.validatedRequest();
  const outcome = await conclude(c.env, c.req.raw, ctx.get("client"), req);
  return outcome.kind === "response" ? outcome.response : beginInteraction(c.env, c.req.raw, req);
}
