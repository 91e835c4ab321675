import type { NewUser } from "./durable-objects/user-account";

/**
 * Development users, created idempotently on first use when DEV_SEED_USERS is on in
 * development (never in production). README.md lists them.
 */
export const DEV_USERS: Record<string, NewUser> = {
  alice: {
    username: "alice",
    password: "alice-password",
    claims: {
      name: "Alice Adams",
      given_name: "Alice",
      family_name: "Adams",
      middle_name: "Beatrice",
      nickname: "Ally",
      preferred_username: "alice",
      profile: "https://example.com/alice",
      picture: "https://example.com/alice.png",
      website: "https://alice.example.com",
      email: "alice@example.com",
      email_verified: true,
      gender: "female",
      birthdate: "1990-04-01",
      zoneinfo: "Europe/Paris",
      locale: "en-US",
      phone_number: "+1 (555) 010-0100",
      phone_number_verified: true,
      address: {
        formatted: "1 Example Street\nSpringfield, IL 62701\nUSA",
        street_address: "1 Example Street",
        locality: "Springfield",
        region: "IL",
        postal_code: "62701",
        country: "USA",
      },
      updated_at: 1767225600,
    },
  },
};
