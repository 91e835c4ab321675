/**
 * Authentication context values. acr: the InCommon Bronze assurance profile fits a password
 * login; amr: RFC 8176 "pwd".
 */
export const ACR_PASSWORD = "urn:mace:incommon:iap:bronze";
export const AMR_PASSWORD = ["pwd"];
