import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../../http/authorize.js';
import type { Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import type { AuditRepository } from '../audit/repository.js';
import { createRoleRepository } from '../roles/repository.js';
import type { ClientContext } from '../sessions/service.js';
import { normalizeEmail } from '../users/email.js';
import { createUserRepository, type UserQuery, type UserRow } from '../users/repository.js';
import type { ProfileUpdate, UserService } from '../users/service.js';
import { accountCreatedEmail } from './emails.js';
import { presentManagedUser } from './presenter.js';

interface Deps {
  db: Database;
  users: UserService;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  outbox: Outbox;
  audit: AuditRepository;
  clock: Clock;
  config: Pick<Config, 'publicUrl'>;
}

export interface NewManagedUser {
  email: string;
  password: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  accountType?: string | undefined;
}

/** `_own` lets a user act on themselves, `_all` on anyone. */
export function allows(actor: Actor, targetUserId: number, own: string, all: string): boolean {
  return actor.permissions.has(all) || (targetUserId === actor.userId && actor.permissions.has(own));
}

export function createUserAdminService({ db, users, hasher, passwordPolicy, outbox, audit, clock, config }: Deps) {
  const userRepository = createUserRepository(db);
  const roles = createRoleRepository(db);

  /**
   * Loads the target for an action; a caller without the `_all` permission
   * learns nothing about other ids (403, never 404).
   */
  async function loadTarget(actor: Actor, targetUserId: number, own: string, all: string) {
    if (!allows(actor, targetUserId, own, all)) throw new AppError('FORBIDDEN');
    const user = await userRepository.findUserById(targetUserId);
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
    async createUser(actor: Actor, input: NewManagedUser, client: ClientContext) {
      const email = normalizeEmail(input.email);
      if (passwordPolicy.check(input.password)) throw new AppError('PASSWORD_TOO_COMMON');
      const now = clock.now();
      const created = await userRepository.insertUserIfEmailFree(
        {
          email,
          passwordHash: await hasher.hash(input.password),
          firstName: input.firstName?.trim() ?? null,
          lastName: input.lastName?.trim() ?? null,
          accountType: input.accountType ?? 'INDIVIDUAL',
          emailVerifiedAt: now,
          createdAt: now,
        },
        ['USER'],
      );
      if (!created) throw new AppError('EMAIL_TAKEN');
      await outbox.enqueue('email', accountCreatedEmail(email, config.publicUrl));
      await audit.insertAuditEvent({
        action: 'user.created',
        actorUserId: actor.userId,
        targetUserId: created.id,
        ipAddress: client.ipAddress,
        createdAt: now,
      });
      return present(created, ['USER']);
    },

    async listUsers(query: UserQuery) {
      const { rows, total } = await userRepository.listUsers(query);
      const roleNames = await roles.findRoleNamesForUsers(rows.map((row) => row.id));
      const now = clock.now();
      return { total, users: rows.map((row) => presentManagedUser(row, roleNames.get(row.id) ?? [], now)) };
    },

    async getUser(actor: Actor, targetUserId: number) {
      const { user, roleNames } = await loadTarget(actor, targetUserId, 'user.read_own', 'user.read_all');
      return present(user, roleNames);
    },

    async updateUser(actor: Actor, targetUserId: number, update: ProfileUpdate, client: ClientContext) {
      const { roleNames } = await loadTarget(actor, targetUserId, 'user.update_own', 'user.update_all');
      guardSuperAdmin(actor, roleNames);
      const updated = await users.updateProfile(targetUserId, update, actor.userId, client);
      if (!updated) throw new AppError('USER_NOT_FOUND');
      return present(updated, roleNames);
    },

    /**
     * Deleting yourself needs your current password (a stolen session must not
     * be able to destroy the account); deleting others needs user.delete_all.
     */
    async deleteUser(actor: Actor, targetUserId: number, currentPassword: string | undefined, client: ClientContext) {
      const { user, roleNames } = await loadTarget(actor, targetUserId, 'user.delete_own', 'user.delete_all');
      guardSuperAdmin(actor, roleNames);
      if (targetUserId === actor.userId) {
        const confirmed = currentPassword !== undefined && (await hasher.verify(user.passwordHash, currentPassword));
        if (!confirmed) throw new AppError('INVALID_PASSWORD');
      }
      const outcome = await userRepository.deleteUser(targetUserId);
      if (outcome === 'last_super_admin') throw new AppError('LAST_SUPER_ADMIN');
      if (outcome === 'not_found') throw new AppError('USER_NOT_FOUND');
      await audit.insertAuditEvent({
        action: 'user.deleted',
        actorUserId: actor.userId,
        targetUserId,
        ipAddress: client.ipAddress,
        createdAt: clock.now(),
      });
      return present(user, roleNames);
    },
  };
}

export type UserAdminService = ReturnType<typeof createUserAdminService>;
