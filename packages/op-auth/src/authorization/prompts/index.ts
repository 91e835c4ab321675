import type { OAuthError, SessionRecord, ValidatedAuthorizationRequest } from "@op/core";
import type { ConsentRecord } from "@op/storage";

/** What the user did within this interaction, each bound to who did it (OIDC Core §3.1.2.3). */
export interface InteractionProgress {
  /** The session this interaction's login started: a login in another tab does not count here. */
  loggedInSid?: string;
  /** Who approved the consent page: a different user finishing the interaction is asked again. */
  consentedBy?: string;
}

/** What every check may look at. `sessionSub` is the session's user as this client sees subjects (OIDC Core §8). */
export interface PromptContext {
  request: ValidatedAuthorizationRequest;
  session: SessionRecord | null;
  sessionSub: string | undefined;
  consent: ConsentRecord | null;
  progress: InteractionProgress;
  /** Seconds since the epoch. */
  now: number;
}

/** One reason to show a prompt, named as oidc-provider's interaction policy names them. */
export interface Check {
  reason: string;
  description: string;
  /** True when this reason applies: the prompt must be shown. */
  applies: (ctx: PromptContext) => boolean;
}

/** A page the user may have to see, with every reason that makes it needed, in the order they are tried. */
export interface Prompt {
  name: "login" | "consent";
  checks: readonly Check[];
  /** OIDC Core §3.1.2.6: with prompt=none, a needed prompt is this error instead. */
  whenNone: (description: string) => OAuthError;
}

export const check = (reason: string, description: string, applies: Check["applies"]): Check => ({ reason, description, applies });

/** The first prompt with a reason that applies, and those reasons; none when the request can be answered. */
export function neededPrompt(policy: readonly Prompt[], ctx: PromptContext): { prompt: Prompt; reasons: Check[] } | undefined {
  for (const prompt of policy) {
    const reasons = prompt.checks.filter((c) => c.applies(ctx));
    if (reasons.length) return { prompt, reasons };
  }
  return undefined;
}
