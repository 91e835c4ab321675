import { accessDenied, type OAuthError, type SessionRecord } from "@op/core";
import { consentPrompt } from "./prompts/consent";
import { type Check, neededPrompt, type Prompt, type PromptContext } from "./prompts/index";
import { loginPrompt, pinnedSub } from "./prompts/login";

export type Decision =
  | { kind: "login"; reasons: Check[] }
  | { kind: "consent"; reasons: Check[] }
  | { kind: "issue"; session: SessionRecord }
  | { kind: "error"; error: OAuthError };

/** The interaction policy: sign in first, then consent (oidc-provider's lib/helpers/interaction_policy). */
export const POLICY: readonly Prompt[] = [loginPrompt, consentPrompt];

/**
 * OIDC Core §3.1.2.3-4: what a validated request needs next. A prompt with a reason that applies
 * is shown, or with prompt=none becomes its error (§3.1.2.6); a user who signed in here and is
 * still not the one the request names is refused; otherwise the response can be issued.
 */
export function decide(ctx: PromptContext): Decision {
  const needed = neededPrompt(POLICY, ctx);
  if (needed) {
    if (ctx.request.prompt.includes("none")) return { kind: "error", error: needed.prompt.whenNone(needed.reasons[0]!.description) };
    return needed.prompt.name === "login" ? { kind: "login", reasons: needed.reasons } : { kind: "consent", reasons: needed.reasons };
  }
  const pinned = pinnedSub(ctx);
  if (pinned !== undefined && ctx.sessionSub !== pinned) return { kind: "error", error: accessDenied("the signed-in user is not the one the request names") };
  return { kind: "issue", session: ctx.session! };
}
