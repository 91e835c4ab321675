import { loginRequired } from "@op/core";
import { check, type Prompt, type PromptContext } from "./index";

/** Whether the session's login happened within this interaction, so a request for a fresh login is met. */
const loggedInHere = (c: PromptContext) => c.session !== null && c.progress.loggedInSid === c.session.sid;

/** The value-restricted sub a `claims` request may pin (OIDC Core §5.5.1), as the client sees subjects. */
const requiredSub = (c: PromptContext): string | undefined => {
  const r = c.request.claims?.id_token?.sub ?? c.request.claims?.userinfo?.sub;
  return typeof r?.value === "string" ? r.value : undefined;
};

/** The sub the request names, by id_token_hint or by a claims request, if any. */
export const pinnedSub = (c: PromptContext): string | undefined => c.request.idTokenHintSub ?? requiredSub(c);

/**
 * OIDC Core §3.1.2.3: the reasons to ask the user to sign in. Each one but the first is met by a
 * login within this interaction.
 */
export const loginPrompt: Prompt = {
  name: "login",
  whenNone: loginRequired,
  checks: [
    check("no_session", "the user must sign in", (c) => c.session === null),
    check(
      "login_prompt",
      "prompt=login (or select_account) asks for a new login",
      (c) => !loggedInHere(c) && (c.request.prompt.includes("login") || c.request.prompt.includes("select_account")),
    ),
    // OIDC Core §3.1.2.1: max_age=0 is prompt=login; otherwise the login must be recent enough.
    check(
      "max_age",
      "the last login is older than max_age",
      (c) =>
        c.session !== null && !loggedInHere(c) && c.request.maxAge !== undefined && (c.request.maxAge === 0 || c.now - c.session.authTime > c.request.maxAge),
    ),
    check("id_token_hint", "the request names another user than the signed-in one", (c) => {
      const pinned = pinnedSub(c);
      return c.session !== null && !loggedInHere(c) && pinned !== undefined && c.sessionSub !== pinned;
    }),
  ],
};
