import type { Client, LogoutEvent } from "@op/core";
import { LogoutDeliveryObject } from "@op/storage";
import { issueLogoutToken } from "@op/tokens";

/**
 * The class the LOGOUT_DELIVERIES binding names (root wrangler.toml): the storage, retries and
 * results of @op/storage's LogoutDeliveryObject, with the logout tokens of @op/tokens.
 */
export class LogoutDelivery extends LogoutDeliveryObject {
  protected logoutToken(client: Client, event: LogoutEvent): Promise<string> {
    return issueLogoutToken(this.env, client, { sub: event.sub, sid: event.sid });
  }
}
