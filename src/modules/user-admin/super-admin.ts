import { isEmailAddress } from '../../http/validation.js';
import type { Clock } from '../../platform/clock.js';
import {
  type PasswordHasher,
  type PasswordPolicy,
  passwordMaxLength,
  passwordMinLength,
} from '../../platform/password.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { RoleRepository } from '../roles/repository.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRepository } from '../users/repository.js';

export interface SuperAdminDeps {
  users: UserRepository;
  roles: RoleRepository;
  audit: AuditRecorder;
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
  { users, roles, audit, hasher, passwordPolicy, clock }: SuperAdminDeps,
  credentials: { email: string; password: string },
  { onlyIfNone }: { onlyIfNone: boolean },
): Promise<SuperAdminOutcome> {
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
  await audit.record('super_admin.created', {
    actorUserId: null,
    targetUserId: user.id,
    details: { via: onlyIfNone ? 'bootstrap' : 'cli' },
  });
  return 'created';
}
