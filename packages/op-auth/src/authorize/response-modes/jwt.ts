import type { DeliveredResponseMode, ResponseType } from "@op/common";

const returnsTokens = (type: string) => type.split(" ").some((w) => w === "token" || w === "id_token");

/**
 * JARM §2.3.4: `jwt` is the default transport for the response type — query.jwt for types
 * that return no token (`code`, `none`), fragment.jwt whenever a token comes back.
 */
export function jwtResponseMode(type: ResponseType | string): DeliveredResponseMode {
  return returnsTokens(type) ? "fragment.jwt" : "query.jwt";
}
