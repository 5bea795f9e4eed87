/** Input limits both the server (validation) and the web app (form hints) use. */
export const LIMITS = {
  passwordMinLength: 10,
  passwordMaxLength: 256,
  emailMaxLength: 254,
  userNameMaxLength: 100,
  workspaceNameMaxLength: 100,
  apiKeyNameMaxLength: 100,
  apiKeyDescriptionMaxLength: 500,
  /** Keys a workspace may hold that are not revoked (expired ones count until revoked). */
  apiKeysPerWorkspace: 100,
  /** How long a rolled key keeps working, at most and when the roll names no end (rollApiKey). */
  apiKeyRollGraceMaxMs: 7 * 24 * 60 * 60 * 1000,
  apiKeyRollGraceDefaultMs: 24 * 60 * 60 * 1000,
  /** Addresses and CIDR ranges a key's IP allowlist may hold. */
  apiKeyAllowlistMaxEntries: 50,
  /** The longest key lifetime a workspace key policy may set (and the shortest: 1 day). */
  apiKeyPolicyMaxLifetimeDays: 3650,
  /** The most days one `ApiKey.usage` range may span (as long as usage is kept). */
  apiKeyUsageMaxDays: 90,
} as const;
