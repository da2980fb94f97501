import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../http/authorize.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditRepository } from '../audit/repository.js';
import type { ClientContext } from '../sessions/service.js';
import { createUserRepository } from '../users/repository.js';
import { createRoleRepository } from './repository.js';

interface Deps {
  db: Database;
  audit: AuditRepository;
  clock: Clock;
}

export interface RoleChange {
  userId: number;
  roleName: string;
}

export function createRoleService({ db, audit, clock }: Deps) {
  const roles = createRoleRepository(db);
  const users = createUserRepository(db);

  async function checkTarget({ userId, roleName }: RoleChange): Promise<void> {
    if (!(await users.findUserById(userId))) throw new AppError('USER_NOT_FOUND');
    if (!(await roles.roleExists(roleName))) throw new AppError('ROLE_NOT_FOUND');
  }

  function record(action: string, actor: Actor, change: RoleChange, client: ClientContext) {
    return audit.insertAuditEvent({
      action,
      actorUserId: actor.userId,
      targetUserId: change.userId,
      ipAddress: client.ipAddress,
      details: { roleName: change.roleName },
      createdAt: clock.now(),
    });
  }

  return {
    async assignRole(actor: Actor, change: RoleChange, client: ClientContext) {
      await checkTarget(change);
      await roles.insertUserRole(change.userId, change.roleName, clock.now());
      await record('role.assigned', actor, change, client);
      return { message: `Role ${change.roleName} assigned to user ${change.userId}` };
    },

    async removeRole(actor: Actor, change: RoleChange, client: ClientContext) {
      await checkTarget(change);
      const outcome = await roles.deleteUserRole(change.userId, change.roleName);
      if (outcome === 'last_super_admin') throw new AppError('LAST_SUPER_ADMIN');
      if (outcome === 'not_held') return { message: `User ${change.userId} does not hold role ${change.roleName}` };
      await record('role.removed', actor, change, client);
      return { message: `Role ${change.roleName} removed from user ${change.userId}` };
    },

    async getUserAccess(userId: number) {
      if (!(await users.findUserById(userId))) throw new AppError('USER_NOT_FOUND');
      return { userId, ...(await roles.findRolesAndPermissions(userId)) };
    },
  };
}

export type RoleService = ReturnType<typeof createRoleService>;
