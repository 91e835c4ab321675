import type { OpContext } from "@op/http";
import { cookieName } from "../cookies";
import { checkSessionPage } from "./pages";

/** GET /session/check: OIDC Session Management §3.3, the check_session_iframe (logout/pages.ts says what it answers). */
export const checkSessionIframe = (c: OpContext) => checkSessionPage(cookieName(c.env, "browserState"));
