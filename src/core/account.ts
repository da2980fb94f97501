import type { users } from '../db/schema.js';

type UserRecord = typeof users.$inferSelect;

/** The account fields an authenticated request may need: profile, second factors, lock state. */
export type AccountUser = Pick<
  UserRecord,
  | 'id'
  | 'email'
  | 'firstName'
  | 'lastName'
  | 'accountType'
  | 'phoneNumber'
  | 'emailVerifiedAt'
  | 'phoneVerifiedAt'
  | 'totpEnabledAt'
  | 'smsMfaEnabledAt'
  | 'createdAt'
  | 'updatedAt'
  | 'lockedAt'
  | 'lockedUntil'
>;

/** An account as it stands now, with its live roles and the union of their permissions. */
export interface Account {
  readonly user: AccountUser;
  readonly roles: string[];
  /** Sorted, for the profile answer. */
  readonly permissions: string[];
  readonly permissionSet: ReadonlySet<string>;
}

/** A user acting through one of their sessions. */
export interface Principal {
  userId: number;
  sessionId: string;
}

/** The caller of a request that presented a valid access token, with the account as it stands now. */
export interface AuthenticatedPrincipal extends Principal {
  /** When this session's sign-in happened. */
  signedInAt: Date;
  account: Account;
}

/** The caller with their live roles and permissions, as authorization and administrative services see them. */
export interface Actor {
  userId: number;
  sessionId: string;
  roles: string[];
  permissions: ReadonlySet<string>;
}

/** A lock with an end is over once the end has passed; one without an end lasts until an unlock. */
export function isLocked(account: { lockedAt: Date | null; lockedUntil: Date | null }, now: Date): boolean {
  if (account.lockedUntil) return account.lockedUntil > now;
  return account.lockedAt !== null;
}
