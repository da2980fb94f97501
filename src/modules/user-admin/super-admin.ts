import type { Database } from '../../db/database.js';
import { isEmailAddress } from '../../http/validation.js';
import type { Clock } from '../../platform/clock.js';
import {
  type PasswordHasher,
  type PasswordPolicy,
  passwordMaxLength,
  passwordMinLength,
} from '../../platform/password.js';
import { createAuditRepository } from '../audit/repository.js';
import { createRoleRepository } from '../roles/repository.js';
import { normalizeEmail } from './email.js';
import { createUserRepository } from './repository.js';

interface Deps {
  db: Database;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  clock: Clock;
}

export class SuperAdminError extends Error {
  override name = 'SuperAdminError';
}

export type SuperAdminOutcome = 'created' | 'already-present';

/**
 * Creates a verified SUPER_ADMIN. With `onlyIfNone` (start-up bootstrap) it does
 * nothing when one exists. An existing account is never promoted: whoever
 * registered that address first would otherwise be handed the keys.
 */
export async function createSuperAdmin(
  { db, hasher, passwordPolicy, clock }: Deps,
  credentials: { email: string; password: string },
  { onlyIfNone }: { onlyIfNone: boolean },
): Promise<SuperAdminOutcome> {
  const users = createUserRepository(db);
  const roles = createRoleRepository(db);
  if (onlyIfNone && (await roles.countUsersWithRole('SUPER_ADMIN')) > 0) return 'already-present';

  const email = normalizeEmail(credentials.email);
  if (!isEmailAddress(email)) throw new SuperAdminError(`${credentials.email} is not a valid email address`);
  const { password } = credentials;
  if (password.length < passwordMinLength || password.length > passwordMaxLength) {
    throw new SuperAdminError(`The password must be ${passwordMinLength} to ${passwordMaxLength} characters long`);
  }
  if (passwordPolicy.check(password)) throw new SuperAdminError('The password is too common; choose another');

  const now = clock.now();
  const user = await users.insertUserIfEmailFree(
    {
      email,
      passwordHash: await hasher.hash(password),
      firstName: null,
      lastName: null,
      accountType: 'INDIVIDUAL',
      emailVerifiedAt: now,
      createdAt: now,
    },
    ['USER', 'SUPER_ADMIN'],
  );
  if (!user) {
    const existing = await users.findUserByEmail(email);
    // Another instance bootstrapping at the same moment created this very admin.
    if (onlyIfNone && existing && (await roles.findRoleNames(existing.id)).includes('SUPER_ADMIN')) {
      return 'already-present';
    }
    throw new SuperAdminError(`An account with ${email} already exists; it is not promoted automatically`);
  }
  await createAuditRepository(db).insertAuditEvent({
    action: 'super_admin.created',
    targetUserId: user.id,
    details: { via: onlyIfNone ? 'bootstrap' : 'cli' },
    createdAt: now,
  });
  return 'created';
}
