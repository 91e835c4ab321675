import type { Client } from "@op/core";
import type { Env } from "@op/storage";
import { formPostResponse } from "./form-post";
import { jwtResponseDocument } from "./jwt-response-document";

/** JARM §2.3.3: the response JWT as the one `response` field of the auto-submitted form. */
export async function formPostJwtResponse(env: Env, client: Client, redirectUri: string, params: Record<string, string>): Promise<Response> {
  return formPostResponse(redirectUri, { response: await jwtResponseDocument(env, client, params) });
}
