import type { DeliveredResponseMode } from "@op/core";

/** Whether a response type returns a token (ID or access) from the authorization endpoint. */
export const returnsTokens = (type: string) => type.split(" ").some((w) => w === "token" || w === "id_token");

/** Multiple Response Types §2.1 / §5: query for code and none, fragment whenever a token comes back. */
export const defaultResponseMode = (type: string): DeliveredResponseMode => (returnsTokens(type) ? "fragment" : "query");
