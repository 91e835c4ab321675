import type { Client } from "@op/core";
import type { Env } from "@op/storage";
import { jwtResponseDocument } from "./jwt-response-document";
import { queryResponse } from "./query";

/** JARM §2.3.1: the response JWT as the one `response` query parameter of the redirect URI. */
export async function queryJwtResponse(env: Env, client: Client, redirectUri: string, params: Record<string, string>): Promise<Response> {
  return queryResponse(redirectUri, { response: await jwtResponseDocument(env, client, params) });
}
