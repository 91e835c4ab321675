import type { Client } from "@op/core";
import type { Env } from "@op/storage";
import { fragmentResponse } from "./fragment";
import { jwtResponseDocument } from "./jwt-response-document";

/** JARM §2.3.2: the response JWT as the one `response` parameter in the fragment. */
export async function fragmentJwtResponse(env: Env, client: Client, redirectUri: string, params: Record<string, string>): Promise<Response> {
  return fragmentResponse(redirectUri, { response: await jwtResponseDocument(env, client, params) });
}
