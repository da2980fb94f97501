import { boolean, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { users } from './schema.js';

const instant = () => timestamp({ withTimezone: true });

/**
 * Sign-in providers added at run time through the admin API. Those of the
 * environment are not stored: they are read-only and listed beside these.
 */
export const identityProviders = pgTable('identity_providers', {
  /** The provider id in URLs: `/auth/oauth/<id>`. */
  id: text().primaryKey(),
  /** `oidc` (any OpenID Connect issuer) or `github`. */
  type: text().notNull(),
  displayName: text().notNull(),
  /** The OpenID issuer; for `github`, the web URL (GitHub Enterprise or github.com). */
  issuer: text().notNull(),
  /** GitHub's API base (`github` only). */
  apiUrl: text(),
  clientId: text().notNull(),
  /** AES-GCM encrypted with the app secret, like the signing keys. */
  clientSecretEncrypted: text().notNull(),
  scopes: jsonb().$type<string[]>().notNull(),
  enabled: boolean().notNull().default(true),
  createdAt: instant().notNull(),
  updatedAt: instant().notNull(),
});

/** An account's identity at a provider: the provider's subject is what identifies it, never the email. */
export const federatedIdentities = pgTable(
  'federated_identities',
  {
    id: uuid().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text().notNull(),
    subject: text().notNull(),
    /** The address the provider gave, for the owner's list; it plays no part in finding the identity. */
    email: text(),
    createdAt: instant().notNull(),
    lastUsedAt: instant(),
  },
  (table) => [uniqueIndex().on(table.provider, table.subject), index().on(table.userId)],
);

/**
 * A redirect to a provider in progress: what the callback must find again
 * (PKCE verifier, nonce) and where it goes next. Found by the hash of its
 * `state`, which also sits in a cookie of the browser that started it.
 */
export const oauthFlows = pgTable(
  'oauth_flows',
  {
    stateHash: text().primaryKey(),
    provider: text().notNull(),
    codeVerifier: text().notNull(),
    nonce: text().notNull(),
    returnTo: text(),
    /**
     * The browser's device id when it set off: the callback is the same browser, even when it comes
     * back by a cross-site form post (Apple) that carries none of our SameSite=Lax cookies.
     */
    deviceId: text(),
    /** An app's PKCE challenge (S256): its code is then traded only with the matching verifier. */
    appCodeChallenge: text(),
    /** Set when a signed-in owner links another identity from the account page. */
    linkUserId: integer().references(() => users.id, { onDelete: 'cascade' }),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
  },
  (table) => [index().on(table.expiresAt)],
);

/**
 * Single-use codes: `handoff` lets the browser that finished a federated
 * sign-in carry it to an app, `exchange` is what the app trades for tokens.
 */
export const oauthCodes = pgTable(
  'oauth_codes',
  {
    codeHash: text().primaryKey(),
    purpose: text().notNull(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    provider: text().notNull(),
    returnTo: text(),
    /** Carried from the flow: the app's PKCE challenge, checked when it trades the code. */
    appCodeChallenge: text(),
    createdAt: instant().notNull(),
    expiresAt: instant().notNull(),
    consumedAt: instant(),
  },
  (table) => [index().on(table.expiresAt)],
);
