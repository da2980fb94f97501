import type { Account } from '../../core/account.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { RoleRepository } from '../roles/repository.js';
import { presentUser } from './presenter.js';
import type { ProfileChanges, UserRepository } from './repository.js';

export interface ProfileUpdate {
  firstName?: string | undefined;
  lastName?: string | undefined;
  phoneNumber?: string | null | undefined;
}

interface Deps {
  users: UserRepository;
  roles: RoleRepository;
  audit: AuditRecorder;
  clock: Clock;
}

export function createUserService({ users, roles, audit, clock }: Deps) {
  const presentProfile = (account: Pick<Account, 'user' | 'roles' | 'permissions'>) => ({
    ...presentUser(account.user, account.roles),
    permissions: account.permissions,
  });

  async function readProfile(userId: number) {
    const user = await users.findUserById(userId);
    if (!user) throw new AppError('UNAUTHORIZED');
    return presentProfile({ user, ...(await roles.findRolesAndPermissions(userId)) });
  }

  /** Applies a profile change made by `actorUserId` (the user, or an administrator). */
  async function updateProfile(targetUserId: number, update: ProfileUpdate, actorUserId: number) {
    const current = await users.findUserById(targetUserId);
    if (!current) return null;
    const changes: ProfileChanges = {};
    if (update.firstName !== undefined) changes.firstName = update.firstName.trim();
    if (update.lastName !== undefined) changes.lastName = update.lastName.trim();
    if (update.phoneNumber !== undefined && update.phoneNumber !== current.phoneNumber) {
      // Otherwise a stolen session could redirect second-factor codes to a new phone.
      if (current.smsMfaEnabledAt) throw new AppError('PHONE_USED_FOR_TWO_FACTOR');
      changes.phoneNumber = update.phoneNumber;
      // A new number has not been proven to belong to this person.
      changes.phoneVerifiedAt = null;
    }
    const now = clock.now();
    const updated = await users.updateProfile(targetUserId, changes, now);
    await audit.record('profile.updated', {
      actorUserId,
      targetUserId,
      details: { fields: Object.keys(changes).filter((field) => field !== 'phoneVerifiedAt') },
    });
    return updated;
  }

  // An account object from the access cache is never changed, only replaced when the database
  // announces a change: its presentation is computed once, not on every read of the profile.
  const presented = new WeakMap<Account, ReturnType<typeof presentProfile>>();

  return {
    /** The caller's profile from what authentication already read: no further query. */
    presentCachedProfile(account: Account) {
      let profile = presented.get(account);
      if (!profile) {
        profile = presentProfile(account);
        presented.set(account, profile);
      }
      return profile;
    },
    updateProfile,

    async updateOwnProfile(userId: number, update: ProfileUpdate) {
      if (!(await updateProfile(userId, update, userId))) throw new AppError('UNAUTHORIZED');
      return readProfile(userId);
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
