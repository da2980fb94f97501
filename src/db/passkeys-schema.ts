import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { mfaChallenges, users } from './schema.js';

const instant = () => timestamp({ withTimezone: true });

/** WebAuthn credentials (passkeys and security keys) registered to an account. */
export const passkeys = pgTable(
  'passkeys',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** The credential id the authenticator chose, base64url. */
    credentialId: text().notNull(),
    /** COSE public key, base64url: public by nature, nothing to hide. */
    publicKey: text().notNull(),
    /** The authenticator's signature counter; one going backwards reveals a cloned credential. */
    counter: bigint({ mode: 'number' }).notNull(),
    transports: jsonb().$type<string[]>().notNull().default([]),
    deviceType: text().notNull(),
    backedUp: boolean().notNull(),
    aaguid: text(),
    name: text().notNull(),
    createdAt: instant().notNull(),
    lastUsedAt: instant(),
  },
  (table) => [uniqueIndex().on(table.credentialId), index().on(table.userId)],
);

/**
 * A WebAuthn challenge, single use and short-lived: bound to the user who
 * registers or signs in, or open (a discoverable sign-in names no user), or
 * to the second-factor challenge it completes.
 */
export const webauthnChallenges = pgTable(
  'webauthn_challenges',
  {
    id: uuid().primaryKey(),
    challenge: text().notNull(),
    purpose: text().notNull(),
    userId: integer().references(() => users.id, { onDelete: 'cascade' }),
    mfaChallengeId: uuid().references(() => mfaChallenges.id, { onDelete: 'cascade' }),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
    consumedAt: instant(),
  },
  // A registration answer is matched by its challenge; expired rows are swept by their expiry.
  (table) => [index().on(table.challenge), index().on(table.expiresAt)],
);
