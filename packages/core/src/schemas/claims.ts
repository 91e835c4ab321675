import { z } from "zod";

/** Claim values a request may pin; structured values are dropped rather than refused. */
const ClaimValueSchema = z.union([z.string(), z.number(), z.boolean()]);

/** OIDC Core §5.5.1: each requested claim is null or {essential, value, values}. */
const ClaimRequestSchema = z
  .object({
    essential: z.boolean().optional(),
    value: ClaimValueSchema.optional().catch(undefined),
    values: z.array(ClaimValueSchema).optional().catch(undefined),
  })
  .nullable();

/** The `claims` request parameter (OIDC Core §5.5). */
export const ClaimsRequestSchema = z.object({
  userinfo: z.record(z.string(), ClaimRequestSchema).optional(),
  id_token: z.record(z.string(), ClaimRequestSchema).optional(),
});
export type ClaimsRequest = z.output<typeof ClaimsRequestSchema>;
export type ClaimRequest = z.output<typeof ClaimRequestSchema>;

/** OIDC Core §5.2 address claim. */
export const AddressSchema = z.object({
  formatted: z.string().optional(),
  street_address: z.string().optional(),
  locality: z.string().optional(),
  region: z.string().optional(),
  postal_code: z.string().optional(),
  country: z.string().optional(),
});

/** OIDC Core §5.1 standard claims, with their JSON types. */
export const StandardClaimsSchema = z.object({
  name: z.string().optional(),
  given_name: z.string().optional(),
  family_name: z.string().optional(),
  middle_name: z.string().optional(),
  nickname: z.string().optional(),
  preferred_username: z.string().optional(),
  profile: z.url().optional(),
  picture: z.url().optional(),
  website: z.url().optional(),
  email: z.email().optional(),
  email_verified: z.boolean().optional(),
  gender: z.string().optional(),
  birthdate: z
    .string()
    .regex(/^(\d{4}|\d{4}-\d{2}-\d{2}|0000-\d{2}-\d{2})$/)
    .optional(),
  zoneinfo: z.string().optional(),
  locale: z.string().optional(),
  phone_number: z.string().optional(),
  phone_number_verified: z.boolean().optional(),
  address: AddressSchema.optional(),
  updated_at: z.number().int().optional(),
});
export type StandardClaims = z.output<typeof StandardClaimsSchema>;
