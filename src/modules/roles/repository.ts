import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { permissions, rolePermissions, roles, userRoles } from '../../db/schema.js';

export type RoleName = 'USER' | 'ADMIN' | 'SUPER_ADMIN';

export interface RolesAndPermissions {
  roles: string[];
  permissions: string[];
}

/** Serializes every change that could remove the last SUPER_ADMIN. */
export const superAdminLockId = 7_411_004;

export async function countHolders(db: Database, roleName: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(eq(roles.name, roleName));
  return row?.count ?? 0;
}

async function holds(db: Database, userId: number, roleName: string): Promise<boolean> {
  const [row] = await db
    .select({ userId: userRoles.userId })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(userRoles.userId, userId), eq(roles.name, roleName)));
  return row !== undefined;
}

export function createRoleRepository(db: Database) {
  return {
    async findRoleNames(userId: number): Promise<string[]> {
      const rows = await db
        .select({ name: roles.name })
        .from(userRoles)
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .where(eq(userRoles.userId, userId))
        .orderBy(asc(roles.name));
      return rows.map((row) => row.name);
    },

    /** The union over every role the user holds, read live on each call. */
    async findRolesAndPermissions(userId: number): Promise<RolesAndPermissions> {
      const rows = await db
        .select({ role: roles.name, permission: permissions.name })
        .from(userRoles)
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .leftJoin(rolePermissions, eq(rolePermissions.roleId, roles.id))
        .leftJoin(permissions, eq(permissions.id, rolePermissions.permissionId))
        .where(eq(userRoles.userId, userId));
      const roleNames = new Set<string>();
      const permissionNames = new Set<string>();
      for (const row of rows) {
        roleNames.add(row.role);
        if (row.permission) permissionNames.add(row.permission);
      }
      return { roles: [...roleNames].sort(), permissions: [...permissionNames].sort() };
    },

    /** Returns false when the role does not exist; granting a held role is a no-op. */
    async insertUserRole(userId: number, roleName: string, createdAt: Date): Promise<boolean> {
      const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, roleName));
      if (!role) return false;
      await db.insert(userRoles).values({ userId, roleId: role.id, createdAt }).onConflictDoNothing();
      return true;
    },

    /**
     * Removes a role, refusing to remove the last SUPER_ADMIN. The check and the
     * delete run under one lock, so two admins demoting each other at once
     * cannot leave the system without one.
     */
    async deleteUserRole(userId: number, roleName: string): Promise<'removed' | 'not_held' | 'last_super_admin'> {
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${superAdminLockId})`);
        if (roleName === 'SUPER_ADMIN' && (await countHolders(tx as unknown as Database, roleName)) <= 1) {
          const held = await holds(tx as unknown as Database, userId, roleName);
          if (held) return 'last_super_admin';
        }
        const [role] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.name, roleName));
        if (!role) return 'not_held';
        const deleted = await tx
          .delete(userRoles)
          .where(and(eq(userRoles.userId, userId), eq(userRoles.roleId, role.id)))
          .returning();
        return deleted.length > 0 ? 'removed' : 'not_held';
      });
    },

    /** Role names for many users in one query, for lists. */
    async findRoleNamesForUsers(userIds: number[]): Promise<Map<number, string[]>> {
      const byUser = new Map<number, string[]>(userIds.map((id) => [id, []]));
      if (userIds.length === 0) return byUser;
      const rows = await db
        .select({ userId: userRoles.userId, name: roles.name })
        .from(userRoles)
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .where(inArray(userRoles.userId, userIds))
        .orderBy(asc(roles.name));
      for (const row of rows) byUser.get(row.userId)?.push(row.name);
      return byUser;
    },

    async roleExists(roleName: string): Promise<boolean> {
      const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, roleName));
      return role !== undefined;
    },

    countUsersWithRole: (roleName: string) => countHolders(db, roleName),
  };
}

export type RoleRepository = ReturnType<typeof createRoleRepository>;
