import { consentRequired, type ValidatedAuthorizationRequest } from "@op/core";
import { consentableClaims } from "@op/rules";
import { check, type Prompt, type PromptContext } from "./index";

/** The scopes and claims this request asks the user to release. */
export function consentScope(req: Pick<ValidatedAuthorizationRequest, "scopes" | "claims">) {
  return { scopes: req.scopes, claims: consentableClaims(req.claims) };
}

/** Consent given on this interaction's page, by the user now signed in. */
const consentedHere = (c: PromptContext) => c.session !== null && c.progress.consentedBy === c.session.sub;

/**
 * OIDC Core §3.1.2.4: the reasons to ask the user for consent. A consent remembered for the
 * client covers later requests for no more than it granted; offline_access is only ever granted
 * on the page itself (OIDC Core §11, rules/scope.ts offlineAccessAllowed).
 */
export const consentPrompt: Prompt = {
  name: "consent",
  whenNone: consentRequired,
  checks: [
    check("consent_prompt", "prompt=consent asks for the consent page", (c) => !consentedHere(c) && c.request.prompt.includes("consent")),
    check("scopes_missing", "the request asks for scopes the user has not granted to this client", (c) => {
      const granted = c.consent?.scopes ?? [];
      return !consentedHere(c) && !consentScope(c.request).scopes.every((s) => granted.includes(s));
    }),
    check("claims_missing", "the request asks for claims the user has not granted to this client", (c) => {
      const granted = c.consent?.claims ?? [];
      return !consentedHere(c) && !consentScope(c.request).claims.every((s) => granted.includes(s));
    }),
  ],
};
