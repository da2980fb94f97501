import { eq } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { roles, userRoles, users } from '../../db/schema.js';

export type UserRow = typeof users.$inferSelect;

export interface NewUser {
  email: string;
  passwordHash: string;
  firstName: string | null;
  lastName: string | null;
  accountType: string;
  emailVerifiedAt: Date | null;
  createdAt: Date;
}

export interface ProfileChanges {
  firstName?: string | null;
  lastName?: string | null;
  phoneNumber?: string | null;
  phoneVerifiedAt?: Date | null;
}

export function createUserRepository(db: Database) {
  return {
    async findUserByEmail(email: string): Promise<UserRow | null> {
      const [row] = await db.select().from(users).where(eq(users.email, email));
      return row ?? null;
    },

    async findUserById(id: number): Promise<UserRow | null> {
      const [row] = await db.select().from(users).where(eq(users.id, id));
      return row ?? null;
    },

    /**
     * Creates the user holding `roleName`, or returns null when the email is
     * taken: the unique index decides, so concurrent sign-ups cannot both win.
     */
    async insertUserIfEmailFree(user: NewUser, roleName: string): Promise<UserRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(users)
          .values({ ...user, updatedAt: user.createdAt })
          .onConflictDoNothing({ target: users.email })
          .returning();
        if (!row) return null;
        const [role] = await tx.select({ id: roles.id }).from(roles).where(eq(roles.name, roleName));
        if (!role) throw new Error(`Role ${roleName} is missing: were the migrations applied?`);
        await tx.insert(userRoles).values({ userId: row.id, roleId: role.id, createdAt: user.createdAt });
        return row;
      });
    },

    async updateProfile(id: number, changes: ProfileChanges, updatedAt: Date): Promise<UserRow | null> {
      const [row] = await db
        .update(users)
        .set({ ...changes, updatedAt })
        .where(eq(users.id, id))
        .returning();
      return row ?? null;
    },

    async markEmailVerified(id: number, verifiedAt: Date): Promise<void> {
      await db.update(users).set({ emailVerifiedAt: verifiedAt, updatedAt: verifiedAt }).where(eq(users.id, id));
    },

    async updatePasswordHash(id: number, passwordHash: string, updatedAt: Date): Promise<void> {
      await db.update(users).set({ passwordHash, updatedAt }).where(eq(users.id, id));
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
