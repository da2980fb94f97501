import { and, asc, eq, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { federatedIdentities, passkeys, roles, userRoles, users } from '../../db/schema.js';
import { preparedOnFirstUse, timestamptz } from '../../db/sql.js';

export type UserRow = typeof users.$inferSelect;

export interface NewUser {
  email: string;
  passwordHash: string | null;
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

export interface UserQuery {
  limit: number;
  offset: number;
  /** Matches email, first or last name, case-insensitively. */
  search?: string | undefined;
  role?: string | undefined;
  verified?: boolean | undefined;
  /** Locked at `now` (a lock with an end that has passed no longer counts). */
  locked?: boolean | undefined;
  twoFactor?: boolean | undefined;
  now: Date;
}

export interface LockChange {
  lockedAt: Date | null;
  lockedUntil: Date | null;
  lockReason: string | null;
}

// LIKE wildcards in a search term are literal characters, not patterns.
const escapeLike = (term: string) => term.replace(/[\\%_]/g, (character) => `\\${character}`);

// The lookups of every sign-in and of every OpenID code or refresh token exchange, prepared: built
// once here, parsed and planned once per connection.
function prepareLookups(db: Database) {
  return {
    byEmail: db
      .select()
      .from(users)
      .where(eq(users.email, sql.placeholder('email')))
      .prepare('gatehouse_user_by_email'),
    byId: db
      .select()
      .from(users)
      .where(eq(users.id, sql.placeholder('id')))
      .prepare('gatehouse_user_by_id'),
  };
}

export function createUserRepository(db: Database) {
  const prepared = preparedOnFirstUse(() => prepareLookups(db));

  return {
    async findUserByEmail(email: string): Promise<UserRow | null> {
      const [row] = await prepared().byEmail.execute({ email });
      return row ?? null;
    },

    async findUserById(id: number): Promise<UserRow | null> {
      const [row] = await prepared().byId.execute({ id });
      return row ?? null;
    },

    /**
     * Creates the user holding `roleNames`, or returns null when the email is
     * taken: the unique index decides, so concurrent sign-ups cannot both win,
     * and a loser sees the winner's roles only once they are all committed.
     */
    async insertUserIfEmailFree(user: NewUser, roleNames: string[]): Promise<UserRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(users)
          .values({ ...user, updatedAt: user.createdAt })
          .onConflictDoNothing({ target: users.email })
          .returning();
        if (!row) return null;
        const found = await tx.select({ id: roles.id }).from(roles).where(inArray(roles.name, roleNames));
        if (found.length !== roleNames.length)
          throw new Error(`Roles ${roleNames} are missing: were the migrations applied?`);
        await tx
          .insert(userRoles)
          .values(found.map((role) => ({ userId: row.id, roleId: role.id, createdAt: user.createdAt })));
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

    async listUsers(query: UserQuery): Promise<{ rows: UserRow[]; total: number }> {
      const conditions: SQL[] = [];
      if (query.search) {
        const pattern = `%${escapeLike(query.search)}%`;
        const match = or(ilike(users.email, pattern), ilike(users.firstName, pattern), ilike(users.lastName, pattern));
        if (match) conditions.push(match);
      }
      if (query.role) {
        const holders = db
          .select({ userId: userRoles.userId })
          .from(userRoles)
          .innerJoin(roles, eq(roles.id, userRoles.roleId))
          .where(eq(roles.name, query.role));
        conditions.push(inArray(users.id, holders));
      }
      const flag = (wanted: boolean | undefined, condition: SQL) => {
        if (wanted !== undefined) conditions.push(wanted ? condition : sql`not (${condition})`);
      };
      flag(query.verified, sql`${users.emailVerifiedAt} is not null`);
      flag(query.twoFactor, sql`(${users.totpEnabledAt} is not null or ${users.smsMfaEnabledAt} is not null)`);
      const now = timestamptz(query.now);
      flag(
        query.locked,
        sql`(case when ${users.lockedUntil} is not null then ${users.lockedUntil} > ${now} else ${users.lockedAt} is not null end)`,
      );
      const where = and(...conditions);
      const [rows, [count]] = await Promise.all([
        db.select().from(users).where(where).orderBy(asc(users.id)).limit(query.limit).offset(query.offset),
        db.select({ total: sql<number>`count(*)::int` }).from(users).where(where),
      ]);
      return { rows, total: count?.total ?? 0 };
    },

    async updateLock(id: number, lock: LockChange, updatedAt: Date): Promise<UserRow | null> {
      const [row] = await db
        .update(users)
        .set({ ...lock, updatedAt })
        .where(eq(users.id, id))
        .returning();
      return row ?? null;
    },

    /** Deletes the account and, by cascade, its sessions, tokens, codes and history. */
    async deleteUser(id: number): Promise<boolean> {
      const deleted = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
      return deleted.length > 0;
    },

    async findUserByVerifiedPhone(phoneNumber: string): Promise<UserRow | null> {
      const [row] = await db
        .select()
        .from(users)
        .where(and(eq(users.phoneNumber, phoneNumber), sql`${users.phoneVerifiedAt} is not null`));
      return row ?? null;
    },

    /** Fails with a unique violation when another account verified this number first. */
    async markPhoneVerified(id: number, verifiedAt: Date): Promise<void> {
      await db.update(users).set({ phoneVerifiedAt: verifiedAt, updatedAt: verifiedAt }).where(eq(users.id, id));
    },

    /**
     * The account's ways in (its password, each passkey, each linked
     * identity), with the account row locked until the transaction ends, so
     * two removals at once cannot both see one to spare. 0 for no account.
     */
    async lockAndCountWaysIn(id: number): Promise<number> {
      const [row] = await db
        .select({ hasPassword: sql<boolean>`${users.passwordHash} is not null` })
        .from(users)
        .where(eq(users.id, id))
        .for('update');
      if (!row) return 0;
      const passkeyCount = await db.$count(passkeys, eq(passkeys.userId, id));
      const identityCount = await db.$count(federatedIdentities, eq(federatedIdentities.userId, id));
      return (row.hasPassword ? 1 : 0) + passkeyCount + identityCount;
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
