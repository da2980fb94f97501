import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { permissions, rolePermissions, roles, userRoles, users } from '../../db/schema.js';
import { timestamptz } from '../../db/sql.js';

export type RoleName = 'USER' | 'ADMIN' | 'SUPER_ADMIN';

export interface RolesAndPermissions {
  roles: string[];
  permissions: string[];
}

/** Serializes every change that could remove the last SUPER_ADMIN. */
const superAdminLockId = 7_411_004;

export function createRoleRepository(db: Database) {
  const countHolders = async (roleName: string) => {
    const [row] = await db
      .select({ count: sql<number>`count(*)::int` })
      .from(userRoles)
      .innerJoin(roles, eq(roles.id, userRoles.roleId))
      .where(eq(roles.name, roleName));
    return row?.count ?? 0;
  };

  return {
    /** Held until the transaction ends: changes that could remove the last SUPER_ADMIN take turns. */
    async lockSuperAdminChanges(): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${superAdminLockId})`);
    },

    async holdsRole(userId: number, roleName: string): Promise<boolean> {
      const [row] = await db
        .select({ userId: userRoles.userId })
        .from(userRoles)
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .where(and(eq(userRoles.userId, userId), eq(roles.name, roleName)));
      return row !== undefined;
    },

    /** Holders of the role other than `exceptUserId` who can sign in now (not locked). */
    async countActiveHolders(roleName: string, exceptUserId: number, now: Date): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(userRoles)
        .innerJoin(roles, eq(roles.id, userRoles.roleId))
        .innerJoin(users, eq(users.id, userRoles.userId))
        .where(
          and(
            eq(roles.name, roleName),
            ne(userRoles.userId, exceptUserId),
            sql`case when ${users.lockedUntil} is not null then ${users.lockedUntil} <= ${timestamptz(now)}
              else ${users.lockedAt} is null end`,
          ),
        );
      return row?.count ?? 0;
    },

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

    /** Returns whether the user held the role. */
    async deleteUserRole(userId: number, roleName: string): Promise<boolean> {
      const held = db.select({ id: roles.id }).from(roles).where(eq(roles.name, roleName));
      const deleted = await db
        .delete(userRoles)
        .where(and(eq(userRoles.userId, userId), inArray(userRoles.roleId, held)))
        .returning({ userId: userRoles.userId });
      return deleted.length > 0;
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

    countUsersWithRole: countHolders,
  };
}

export type RoleRepository = ReturnType<typeof createRoleRepository>;
