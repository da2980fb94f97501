import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// Columns are camelCase here and snake_case in SQL (drizzle `casing: 'snake_case'`).
const instant = () => timestamp({ withTimezone: true });

export const users = pgTable(
  'users',
  {
    id: integer().primaryKey().generatedAlwaysAsIdentity(),
    /** Normalized: trimmed and lower-cased before it reaches the database. */
    email: text().notNull().unique(),
    /** Null for an account made by a federated sign-in, until its owner sets a password. */
    passwordHash: text(),
    firstName: text(),
    lastName: text(),
    accountType: text().notNull().default('INDIVIDUAL'),
    phoneNumber: text(),
    phoneVerifiedAt: instant(),
    emailVerifiedAt: instant(),
    /** Set by an administrator or by the brute-force lockout; null lockedUntil with lockedAt means "until unlocked". */
    lockedAt: instant(),
    lockedUntil: instant(),
    lockReason: text(),
    /** Base32 TOTP secret, AES-GCM encrypted; the pending one awaits its first code. */
    totpSecretEncrypted: text(),
    totpPendingSecretEncrypted: text(),
    totpEnabledAt: instant(),
    /** The last accepted TOTP time step: the same step is never accepted twice. */
    totpLastStep: bigint({ mode: 'number' }),
    smsMfaEnabledAt: instant(),
    /** Consecutive second-factor failures; at the limit the second factor is locked for a while. */
    mfaFailures: integer().notNull().default(0),
    mfaLockedUntil: instant(),
    createdAt: instant().notNull(),
    updatedAt: instant().notNull(),
  },
  (table) => [
    // A verified number identifies one account, so it can be used to sign in.
    uniqueIndex('users_verified_phone_number_index')
      .on(table.phoneNumber)
      .where(sql`${table.phoneVerifiedAt} is not null`),
  ],
);

export const roles = pgTable('roles', {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  name: text().notNull().unique(),
  description: text().notNull(),
});

export const permissions = pgTable('permissions', {
  id: integer().primaryKey().generatedAlwaysAsIdentity(),
  name: text().notNull().unique(),
  description: text().notNull(),
});

export const rolePermissions = pgTable(
  'role_permissions',
  {
    roleId: integer()
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    permissionId: integer()
      .notNull()
      .references(() => permissions.id, { onDelete: 'cascade' }),
  },
  (table) => [primaryKey({ columns: [table.roleId, table.permissionId] })],
);

export const userRoles = pgTable(
  'user_roles',
  {
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    roleId: integer()
      .notNull()
      .references(() => roles.id, { onDelete: 'cascade' }),
    createdAt: instant().notNull(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.roleId] }), index().on(table.roleId)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    deviceId: text(),
    deviceName: text(),
    platform: text(),
    appVersion: text(),
    userAgent: text(),
    ipAddress: text(),
    country: text(),
    city: text(),
    createdAt: instant().notNull(),
    lastActiveAt: instant().notNull(),
    expiresAt: instant().notNull(),
    revokedAt: instant(),
    revokedReason: text(),
    /** SHA-256 of the browser cookie's secret, for a session signed in on the hosted pages; null for API sessions. */
    browserSecretHash: text(),
  },
  (table) => [index().on(table.userId), index().on(table.deviceId)],
);

export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid().primaryKey(),
    sessionId: uuid()
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the token, hex. The token itself is never stored. */
    tokenHash: text().notNull(),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
    /** Set once, atomically, by the refresh that consumed this token. */
    rotatedAt: instant(),
    revokedAt: instant(),
  },
  (table) => [uniqueIndex().on(table.tokenHash), index().on(table.sessionId)],
);

export const oneTimeCodes = pgTable(
  'one_time_codes',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text().notNull(),
    channel: text().notNull(),
    destination: text().notNull(),
    /** HMAC of user, purpose, channel and code, keyed by APP_SECRET. */
    codeHash: text().notNull(),
    attempts: integer().notNull().default(0),
    maxAttempts: integer().notNull(),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
    consumedAt: instant(),
    /** Set when a newer code for the same user and purpose replaces this one. */
    supersededAt: instant(),
  },
  (table) => [index().on(table.userId, table.purpose)],
);

export const passwordResets = pgTable(
  'password_resets',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** SHA-256 of the emailed token, hex. */
    tokenHash: text().notNull(),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
    usedAt: instant(),
    /** Set when a newer request for the same user replaces this one. */
    supersededAt: instant(),
  },
  (table) => [uniqueIndex().on(table.tokenHash), index().on(table.userId)],
);

export const recoveryCodes = pgTable(
  'recovery_codes',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** HMAC of the normalized code; the codes are shown once and never stored. */
    codeHash: text().notNull(),
    createdAt: instant().notNull(),
    usedAt: instant(),
  },
  (table) => [uniqueIndex().on(table.userId, table.codeHash)],
);

/** The state between a correct password and a correct second factor. */
export const mfaChallenges = pgTable(
  'mfa_challenges',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull(),
    method: text().notNull(),
    /** The device that passed the first factor; the session is opened for it and no other. */
    deviceInfo: jsonb().notNull(),
    ipAddress: text(),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
    consumedAt: instant(),
  },
  (table) => [uniqueIndex().on(table.tokenHash)],
);

/**
 * Failed sign-ins per normalized identifier (an HMAC of the email), whether or
 * not an account exists, so lockout cannot be used to discover accounts.
 */
export const loginThrottles = pgTable('login_throttles', {
  key: text().primaryKey(),
  /** Attempts in flight or failed since the last success or lockout. */
  failures: integer().notNull(),
  /** Lockouts so far; each one doubles the next lock's length. */
  lockouts: integer().notNull().default(0),
  lockedUntil: instant(),
  updatedAt: instant().notNull(),
});

export const blacklistedDevices = pgTable('blacklisted_devices', {
  deviceId: text().primaryKey(),
  reason: text(),
  createdByUserId: integer(),
  createdAt: instant().notNull(),
});

export const deviceFingerprints = pgTable(
  'device_fingerprints',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The session's deviceId, or the session id when the client sent none. */
    deviceKey: text().notNull(),
    /** HMAC of the fingerprint; the raw value is never stored. */
    fingerprintHash: text().notNull(),
    createdAt: instant().notNull(),
    lastSeenAt: instant().notNull(),
  },
  (table) => [uniqueIndex().on(table.userId, table.deviceKey), index().on(table.userId, table.fingerprintHash)],
);

/** Request counters of the rate limiter (rate-limiter-flexible's Drizzle store), shared by all instances. */
export const rateLimits = pgTable('rate_limits', {
  key: text().primaryKey(),
  points: integer().notNull(),
  expire: instant(),
});

/** Send counters per destination (hashed), so cooldown and hourly cap apply whether or not an account exists. */
export const sendThrottles = pgTable('send_throttles', {
  key: text().primaryKey(),
  windowStartedAt: instant().notNull(),
  sentInWindow: integer().notNull(),
  lastSentAt: instant().notNull(),
});

export const signingKeys = pgTable('signing_keys', {
  kid: text().primaryKey(),
  algorithm: text().notNull(),
  publicJwk: jsonb().notNull(),
  /** AES-256-GCM ciphertext of the private JWK, keyed from APP_SECRET. */
  privateJwkEncrypted: text().notNull(),
  /** `access_token` (the API's EdDSA tokens) or `oidc` (the OpenID provider's RS256 and EdDSA keys). */
  purpose: text().notNull().default('access_token'),
  createdAt: instant().notNull(),
  retiredAt: instant(),
});

export const loginEvents = pgTable(
  'login_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    userId: integer().references(() => users.id, { onDelete: 'cascade' }),
    method: text().notNull(),
    success: boolean().notNull(),
    failureReason: text(),
    ipAddress: text(),
    userAgent: text(),
    deviceId: text(),
    deviceName: text(),
    platform: text(),
    country: text(),
    city: text(),
    latitude: doublePrecision(),
    longitude: doublePrecision(),
    flags: text().array().notNull().default(sql`'{}'::text[]`),
    sessionId: uuid(),
    createdAt: instant().notNull(),
  },
  (table) => [index().on(table.userId, table.createdAt)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    action: text().notNull(),
    /** Plain ids, no foreign keys: the trail outlives the accounts it mentions. */
    actorUserId: integer(),
    targetUserId: integer(),
    ipAddress: text(),
    userAgent: text(),
    details: jsonb().notNull().default({}),
    createdAt: instant().notNull(),
  },
  (table) => [index().on(table.targetUserId, table.createdAt), index().on(table.action, table.createdAt)],
);

export const outboxMessages = pgTable(
  'outbox_messages',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    channel: text().notNull(),
    recipient: text().notNull(),
    /** An email's subject; for an SMS, its purpose. */
    subject: text().notNull(),
    body: text().notNull(),
    /** An email's HTML part. */
    html: text(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: instant().notNull(),
    /** A worker's claim; another instance may take the message over once it lapses. */
    lockedUntil: instant(),
    lastError: text(),
    failedAt: instant(),
    createdAt: instant().notNull(),
  },
  (table) => [index().on(table.nextAttemptAt)],
);

export * from './federation-schema.js';
export * from './oidc-schema.js';
export * from './passkeys-schema.js';
