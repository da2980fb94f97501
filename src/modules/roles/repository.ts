import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { permissions, rolePermissions, roles, userRoles } from '../../db/schema.js';

export type RoleName = 'USER' | 'ADMIN' | 'SUPER_ADMIN';

export interface RolesAndPermissions {
  roles: string[];
  permissions: string[];
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

    async deleteUserRole(userId: number, roleName: string): Promise<boolean> {
      const [role] = await db.select({ id: roles.id }).from(roles).where(eq(roles.name, roleName));
      if (!role) return false;
      const deleted = await db
        .delete(userRoles)
        .where(and(eq(userRoles.userId, userId), eq(userRoles.roleId, role.id)))
        .returning();
      return deleted.length > 0;
    },

    async countUsersWithRole(roleName: string): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(userRoles)
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .where(eq(roles.name, roleName));
      return row?.count ?? 0;
    },
  };
}

export type RoleRepository = ReturnType<typeof createRoleRepository>;
