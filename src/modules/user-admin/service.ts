import type { Actor } from '../../core/account.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import type { Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { wouldRemoveLastSuperAdmin } from '../roles/last-super-admin.js';
import type { RoleRepository } from '../roles/repository.js';
import { type AccountRequest, newAccount } from '../users/new-account.js';
import type { UserQuery, UserRepository, UserRow } from '../users/repository.js';
import type { ProfileUpdate, UserService } from '../users/service.js';
import { presentManagedUser } from './presenter.js';

interface Deps {
  users: UserRepository;
  roles: RoleRepository;
  transaction: Transaction<{ users: UserRepository; roles: RoleRepository }>;
  profiles: UserService;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
}

/** `_own` lets a user act on themselves, `_all` on anyone. */
export function allows(actor: Actor, targetUserId: number, own: string, all: string): boolean {
  return actor.permissions.has(all) || (targetUserId === actor.userId && actor.permissions.has(own));
}

export function createUserAdminService({
  users,
  roles,
  transaction,
  profiles,
  hasher,
  passwordPolicy,
  outbox,
  emails,
  audit,
  clock,
}: Deps) {
  /**
   * Loads the target for an action; a caller without the `_all` permission
   * learns nothing about other ids (403, never 404).
   */
  async function loadTarget(actor: Actor, targetUserId: number, own: string, all: string) {
    if (!allows(actor, targetUserId, own, all)) throw new AppError('FORBIDDEN');
    const user = await users.findUserById(targetUserId);
    if (!user) throw new AppError('USER_NOT_FOUND');
    const roleNames = await roles.findRoleNames(targetUserId);
    return { user, roleNames };
  }

  /** Only a SUPER_ADMIN may change, lock or delete a SUPER_ADMIN. */
  function guardSuperAdmin(actor: Actor, targetRoles: string[]): void {
    if (targetRoles.includes('SUPER_ADMIN') && !actor.roles.includes('SUPER_ADMIN')) throw new AppError('FORBIDDEN');
  }

  const present = (user: UserRow, roleNames: string[]) => ({ user: presentManagedUser(user, roleNames, clock.now()) });

  return {
    loadTarget,
    guardSuperAdmin,
    present,

    /** Accounts created by an administrator start verified: the administrator vouches for the address. */
    async createUser(actor: Actor, input: AccountRequest) {
      const now = clock.now();
      const account = await newAccount(input, { hasher, passwordPolicy }, { createdAt: now, emailVerifiedAt: now });
      const created = await users.insertUserIfEmailFree(account, ['USER']);
      if (!created) throw new AppError('EMAIL_TAKEN');
      await outbox.enqueue(emails.accountCreated(account.email));
      await audit.record('user.created', { actorUserId: actor.userId, targetUserId: created.id });
      return present(created, ['USER']);
    },

    async listUsers(query: Omit<UserQuery, 'now'>) {
      const now = clock.now();
      const { rows, total } = await users.listUsers({ ...query, now });
      const roleNames = await roles.findRoleNamesForUsers(rows.map((row) => row.id));
      return { total, users: rows.map((row) => presentManagedUser(row, roleNames.get(row.id) ?? [], now)) };
    },

    async getUser(actor: Actor, targetUserId: number) {
      const { user, roleNames } = await loadTarget(actor, targetUserId, 'user.read_own', 'user.read_all');
      return present(user, roleNames);
    },

    async updateUser(actor: Actor, targetUserId: number, update: ProfileUpdate) {
      const { roleNames } = await loadTarget(actor, targetUserId, 'user.update_own', 'user.update_all');
      guardSuperAdmin(actor, roleNames);
      const updated = await profiles.updateProfile(targetUserId, update, actor.userId);
      if (!updated) throw new AppError('USER_NOT_FOUND');
      return present(updated, roleNames);
    },

    /**
     * Deleting yourself needs your current password (a stolen session must not
     * be able to destroy the account); deleting others needs user.delete_all.
     */
    async deleteUser(actor: Actor, targetUserId: number, currentPassword: string | undefined) {
      const { user, roleNames } = await loadTarget(actor, targetUserId, 'user.delete_own', 'user.delete_all');
      guardSuperAdmin(actor, roleNames);
      if (targetUserId === actor.userId) {
        const confirmed = currentPassword !== undefined && (await hasher.verify(user.passwordHash, currentPassword));
        if (!confirmed) throw new AppError('INVALID_PASSWORD');
      }
      const outcome = await transaction(async (bound) => {
        if (await wouldRemoveLastSuperAdmin(bound.roles, targetUserId, clock.now())) return 'last_super_admin';
        return (await bound.users.deleteUser(targetUserId)) ? 'deleted' : 'not_found';
      });
      if (outcome === 'last_super_admin') throw new AppError('LAST_SUPER_ADMIN');
      if (outcome === 'not_found') throw new AppError('USER_NOT_FOUND');
      await audit.record('user.deleted', { actorUserId: actor.userId, targetUserId });
      return present(user, roleNames);
    },
  };
}

export type UserAdminService = ReturnType<typeof createUserAdminService>;
