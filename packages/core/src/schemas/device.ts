import { z } from "zod";
import { AuthenticationSchema } from "./records";

/** RFC 8628 §3.1 device authorization request parameters (client authentication aside). */
export const DeviceAuthorizationParamsSchema = z.object({
  scope: z.string().max(2000).optional(),
});
export type DeviceAuthorizationParams = z.output<typeof DeviceAuthorizationParamsSchema>;

/**
 * A device authorization (RFC 8628), owned by its `DeviceAuthorization` object: the request,
 * the SHA-256 of the device code's secret part, the polling state and, once the user has
 * answered, the decision with who authenticated.
 */
export const DeviceAuthorizationRecordSchema = z.object({
  /** Normalized (8 characters, no dash): also the object's name. */
  userCode: z.string(),
  deviceSecretHash: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  /** RFC 8707 resource indicators of the device authorization request. */
  resources: z.array(z.string()).default([]),
  createdAt: z.number().int(),
  expiresAt: z.number().int(),
  /** RFC 8628 §3.5: seconds the client must wait between polls; slow_down adds 5. */
  interval: z.number().int().positive(),
  lastPolledAt: z.number().int().optional(),
  status: z.enum(["pending", "approved", "denied", "used"]),
  /** Set on approval: the user and the session they approved from. */
  approval: AuthenticationSchema.optional(),
  /** Set on approval: the grant the tokens will belong to, known to the approving session so that its logout reaches them. */
  grantId: z.string().optional(),
});
export type DeviceAuthorizationRecord = z.output<typeof DeviceAuthorizationRecordSchema>;

/** RFC 8628 §3.4 */
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
