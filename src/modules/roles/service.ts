import type { Actor } from '../../core/account.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { wouldRemoveLastSuperAdmin } from './last-super-admin.js';
import type { RoleRepository } from './repository.js';

/** What roles need to know of accounts (the users module owns them and depends on roles). */
export interface AccountDirectory {
  findUserById(userId: number): Promise<{ id: number } | null>;
}

interface Deps {
  roles: RoleRepository;
  accounts: AccountDirectory;
  transaction: Transaction<{ roles: RoleRepository }>;
  audit: AuditRecorder;
  clock: Clock;
}

export interface RoleChange {
  userId: number;
  roleName: string;
}

export function createRoleService({ roles, accounts, transaction, audit, clock }: Deps) {
  async function checkTarget({ userId, roleName }: RoleChange): Promise<void> {
    if (!(await accounts.findUserById(userId))) throw new AppError('USER_NOT_FOUND');
    if (!(await roles.roleExists(roleName))) throw new AppError('ROLE_NOT_FOUND');
  }

  return {
    async assignRole(actor: Actor, change: RoleChange) {
      await checkTarget(change);
      await roles.insertUserRole(change.userId, change.roleName, clock.now());
      await audit.record('role.assigned', {
        actorUserId: actor.userId,
        targetUserId: change.userId,
        details: { roleName: change.roleName },
      });
      return { message: `Role ${change.roleName} assigned to user ${change.userId}` };
    },

    async removeRole(actor: Actor, change: RoleChange) {
      await checkTarget(change);
      const outcome = await transaction(async (bound) => {
        if (
          change.roleName === 'SUPER_ADMIN' &&
          (await wouldRemoveLastSuperAdmin(bound.roles, change.userId, clock.now()))
        ) {
          return 'last_super_admin';
        }
        return (await bound.roles.deleteUserRole(change.userId, change.roleName)) ? 'removed' : 'not_held';
      });
      if (outcome === 'last_super_admin') throw new AppError('LAST_SUPER_ADMIN');
      if (outcome === 'not_held') return { message: `User ${change.userId} does not hold role ${change.roleName}` };
      await audit.record('role.removed', {
        actorUserId: actor.userId,
        targetUserId: change.userId,
        details: { roleName: change.roleName },
      });
      return { message: `Role ${change.roleName} removed from user ${change.userId}` };
    },

    async getUserAccess(userId: number) {
      if (!(await accounts.findUserById(userId))) throw new AppError('USER_NOT_FOUND');
      return { userId, ...(await roles.findRolesAndPermissions(userId)) };
    },
  };
}

export type RoleService = ReturnType<typeof createRoleService>;
