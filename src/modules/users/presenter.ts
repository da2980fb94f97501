import type { AccountUser } from '../../core/account.js';

/** What the public face of a user is made from: the account's fields but its lock state. */
export type PresentableUser = Omit<AccountUser, 'lockedAt' | 'lockedUntil'>;

/** The public face of a user row: no hash, no lock internals. */
export function presentUser(user: PresentableUser, roles: string[]) {
  return {
    id: user.id,
    email: user.email,
    firstName: user.firstName,
    lastName: user.lastName,
    accountType: user.accountType,
    phoneNumber: user.phoneNumber,
    emailVerified: user.emailVerifiedAt !== null,
    phoneVerified: user.phoneVerifiedAt !== null,
    twoFactorMethods: [...(user.totpEnabledAt ? ['totp'] : []), ...(user.smsMfaEnabledAt ? ['sms'] : [])],
    roles,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export type PublicUser = ReturnType<typeof presentUser>;
