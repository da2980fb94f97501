import { and, asc, count, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { passkeys, webauthnChallenges } from '../../db/schema.js';

export type PasskeyRow = typeof passkeys.$inferSelect;
export type NewPasskey = typeof passkeys.$inferInsert;
export type ChallengeRow = typeof webauthnChallenges.$inferSelect;
export type NewChallenge = typeof webauthnChallenges.$inferInsert;

export function createPasskeyRepository(db: Database) {
  return {
    /** Null when the credential id is already registered (to anyone): the unique index decides. */
    async insertPasskey(passkey: NewPasskey): Promise<PasskeyRow | null> {
      const [row] = await db.insert(passkeys).values(passkey).onConflictDoNothing().returning();
      return row ?? null;
    },

    listPasskeys(userId: number): Promise<PasskeyRow[]> {
      return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt));
    },

    async countPasskeys(userId: number): Promise<number> {
      const [row] = await db.select({ value: count() }).from(passkeys).where(eq(passkeys.userId, userId));
      return row?.value ?? 0;
    },

    async findByCredentialId(credentialId: string): Promise<PasskeyRow | null> {
      const [row] = await db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId));
      return row ?? null;
    },

    /**
     * Notes a use; with `mustGrow`, only if the signature count went up (both
     * zero means the authenticator keeps no count). False when it did not.
     */
    async recordUse(id: string, counter: number, usedAt: Date, { mustGrow }: { mustGrow: boolean }): Promise<boolean> {
      const grew = sql`(${passkeys.counter} < ${counter} or (${passkeys.counter} = 0 and ${counter} = 0))`;
      const rows = await db
        .update(passkeys)
        .set({ counter, lastUsedAt: usedAt })
        .where(mustGrow ? and(eq(passkeys.id, id), grew) : eq(passkeys.id, id))
        .returning({ id: passkeys.id });
      return rows.length === 1;
    },

    async renamePasskey(id: string, userId: number, name: string): Promise<PasskeyRow | null> {
      const [row] = await db
        .update(passkeys)
        .set({ name })
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning();
      return row ?? null;
    },

    async deletePasskey(id: string, userId: number): Promise<boolean> {
      const rows = await db
        .delete(passkeys)
        .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
        .returning({ id: passkeys.id });
      return rows.length === 1;
    },

    async insertChallenge(challenge: NewChallenge): Promise<void> {
      await db.insert(webauthnChallenges).values(challenge);
    },

    /** Challenges are worth nothing once expired; they are swept as new ones are made. */
    async deleteChallengesExpiredBefore(instant: Date): Promise<void> {
      await db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, instant));
    },

    /**
     * Spends a challenge: one statement, so of two concurrent answers to one
     * challenge only one gets the row. Found by its id (sign-in), or by the
     * challenge the browser signed and its user (registration). Null when it
     * is unknown, spent, expired or of another purpose.
     */
    async claimChallenge(
      match: { id: string } | { challenge: string; userId: number },
      purpose: string,
      now: Date,
    ): Promise<ChallengeRow | null> {
      const which =
        'id' in match
          ? eq(webauthnChallenges.id, match.id)
          : and(eq(webauthnChallenges.challenge, match.challenge), eq(webauthnChallenges.userId, match.userId));
      const [row] = await db
        .update(webauthnChallenges)
        .set({ consumedAt: now })
        .where(
          and(
            which,
            eq(webauthnChallenges.purpose, purpose),
            isNull(webauthnChallenges.consumedAt),
            gt(webauthnChallenges.expiresAt, now),
          ),
        )
        .returning();
      return row ?? null;
    },
  };
}

export type PasskeyRepository = ReturnType<typeof createPasskeyRepository>;
