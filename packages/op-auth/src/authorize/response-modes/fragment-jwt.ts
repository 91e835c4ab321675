import type { Client, Env } from "@op/common";
import { jwtResponseDocument } from "./jwt-response-document";
import { fragmentResponse } from "./fragment";

/** JARM §2.3.2: the response JWT as the one `response` parameter in the fragment. */
export async function fragmentJwtResponse(env: Env, client: Client, redirectUri: string, params: Record<string, string>): Promise<Response> {
  return fragmentResponse(redirectUri, { response: await jwtResponseDocument(env, client, params) });
}
