import { boolean, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sessions } from './schema.js';

const instant = () => timestamp({ withTimezone: true });

/** The apps that sign people in through Gatehouse's OpenID provider (`/oidc`), managed as data. */
export const oidcClients = pgTable('oidc_clients', {
  clientId: text().primaryKey(),
  name: text().notNull(),
  /** `public` (PKCE, no secret: single-page and native apps) or `confidential` (a server holding a secret). */
  type: text().notNull(),
  /** SHA-256 of the client secret (256 random bits); the secret itself is shown once. */
  secretHash: text(),
  redirectUris: jsonb().$type<string[]>().notNull(),
  postLogoutRedirectUris: jsonb().$type<string[]>().notNull(),
  grantTypes: jsonb().$type<string[]>().notNull(),
  scopes: jsonb().$type<string[]>().notNull(),
  /** How its ID tokens are signed: RS256 (what every library verifies) or EdDSA, when the app asks for it. */
  idTokenSigningAlg: text().notNull().default('RS256'),
  /** A first-party app of the team running Gatehouse: its users are not asked to consent. */
  firstParty: boolean().notNull(),
  createdAt: instant().notNull(),
  updatedAt: instant().notNull(),
});

/**
 * What the OpenID provider keeps between requests (authorization codes,
 * tokens, grants, sessions, interactions), one row per object, so every
 * instance on the database sees the same state. `id` is the provider's own
 * identifier; for tokens it is the token itself, so only its SHA-256 is
 * stored (see the adapter).
 */
export const oidcModels = pgTable(
  'oidc_models',
  {
    kind: text().notNull(),
    id: text().notNull(),
    payload: jsonb().$type<Record<string, unknown>>().notNull(),
    grantId: text(),
    uid: text(),
    expiresAt: instant(),
    consumedAt: instant(),
  },
  (table) => [
    primaryKey({ columns: [table.kind, table.id] }),
    index().on(table.grantId),
    index().on(table.uid),
    index().on(table.expiresAt),
  ],
);

/**
 * The Gatehouse browser session behind each of the provider's end-user
 * sessions: the provider's session lives only as long as it does, so signing
 * out, a revocation, a lock or a blacklisted device ends single sign-on and
 * every token issued through it.
 */
export const oidcSessionLinks = pgTable('oidc_session_links', {
  uid: text().primaryKey(),
  sessionId: uuid()
    .notNull()
    .references(() => sessions.id, { onDelete: 'cascade' }),
  createdAt: instant().notNull(),
});
