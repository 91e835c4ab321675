import type { DeliveredResponseMode, ResponseType } from "@op/core";
import { defaultResponseMode } from "./default-mode";

/**
 * JARM §2.3.4: `jwt` is the default transport for the response type — query.jwt for types
 * that return no token (`code`, `none`), fragment.jwt whenever a token comes back.
 */
export function jwtResponseMode(type: ResponseType | string): DeliveredResponseMode {
  return `${defaultResponseMode(type)}.jwt` as DeliveredResponseMode;
}
