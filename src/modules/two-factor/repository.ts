import { and, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { mfaChallenges, recoveryCodes, users } from '../../db/schema.js';
import { timestamptz } from '../../db/sql.js';

export type NewChallenge = typeof mfaChallenges.$inferInsert;

export function createTwoFactorRepository(db: Database) {
  return {
    async setPendingTotpSecret(userId: number, encrypted: string, now: Date): Promise<void> {
      await db.update(users).set({ totpPendingSecretEncrypted: encrypted, updatedAt: now }).where(eq(users.id, userId));
    },

    async enableTotp(userId: number, encrypted: string, step: number, now: Date): Promise<void> {
      await db
        .update(users)
        .set({
          totpSecretEncrypted: encrypted,
          totpPendingSecretEncrypted: null,
          totpEnabledAt: now,
          totpLastStep: step,
          updatedAt: now,
        })
        .where(eq(users.id, userId));
    },

    async enableSms(userId: number, now: Date): Promise<void> {
      await db.update(users).set({ smsMfaEnabledAt: now, updatedAt: now }).where(eq(users.id, userId));
    },

    async disableAll(userId: number, now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .update(users)
          .set({
            totpSecretEncrypted: null,
            totpPendingSecretEncrypted: null,
            totpEnabledAt: null,
            totpLastStep: null,
            smsMfaEnabledAt: null,
            mfaFailures: 0,
            mfaLockedUntil: null,
            updatedAt: now,
          })
          .where(eq(users.id, userId));
        await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      });
    },

    /** Records the step as used; false if it (or a later one) was already used — a replay. */
    async claimTotpStep(userId: number, step: number): Promise<boolean> {
      const rows = await db
        .update(users)
        .set({ totpLastStep: step })
        .where(and(eq(users.id, userId), or(isNull(users.totpLastStep), sql`${users.totpLastStep} < ${step}`)))
        .returning({ id: users.id });
      return rows.length === 1;
    },

    /**
     * Spends one second-factor attempt before the code is checked, so parallel
     * guesses cannot exceed the limit. Null when the second factor is locked.
     */
    async reserveAttempt(userId: number, limit: number, now: Date): Promise<number | null> {
      const lockOver = sql`(${users.mfaLockedUntil} is not null and ${users.mfaLockedUntil} <= ${timestamptz(now)})`;
      const [row] = await db
        .update(users)
        .set({
          mfaFailures: sql`case when ${lockOver} then 1 else ${users.mfaFailures} + 1 end`,
          mfaLockedUntil: sql`case when ${lockOver} then null else ${users.mfaLockedUntil} end`,
        })
        .where(
          and(
            eq(users.id, userId),
            or(isNull(users.mfaLockedUntil), lte(users.mfaLockedUntil, now)),
            or(sql`${users.mfaFailures} < ${limit}`, lockOver),
          ),
        )
        .returning({ failures: users.mfaFailures });
      return row ? row.failures : null;
    },

    async lockSecondFactor(userId: number, until: Date): Promise<void> {
      await db.update(users).set({ mfaLockedUntil: until }).where(eq(users.id, userId));
    },

    async resetAttempts(userId: number): Promise<void> {
      await db.update(users).set({ mfaFailures: 0, mfaLockedUntil: null }).where(eq(users.id, userId));
    },

    async replaceRecoveryCodes(userId: number, codeHashes: string[], ids: string[], now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
        await tx
          .insert(recoveryCodes)
          .values(codeHashes.map((codeHash, index) => ({ id: ids[index] ?? '', userId, codeHash, createdAt: now })));
      });
    },

    /** Marks one recovery code used; concurrent use of one code succeeds once. */
    async consumeRecoveryCode(userId: number, codeHash: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(recoveryCodes)
        .set({ usedAt: now })
        .where(
          and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)),
        )
        .returning({ id: recoveryCodes.id });
      return rows.length === 1;
    },

    async countUnusedRecoveryCodes(userId: number): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
      return row?.count ?? 0;
    },

    async insertChallenge(challenge: NewChallenge): Promise<void> {
      await db.insert(mfaChallenges).values(challenge);
    },

    async findChallengeByHash(tokenHash: string) {
      const [row] = await db.select().from(mfaChallenges).where(eq(mfaChallenges.tokenHash, tokenHash));
      return row ?? null;
    },

    /** Single use: of two concurrent completions only one gets `true`. */
    async claimChallenge(id: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(mfaChallenges)
        .set({ consumedAt: now })
        .where(and(eq(mfaChallenges.id, id), isNull(mfaChallenges.consumedAt)))
        .returning({ id: mfaChallenges.id });
      return rows.length === 1;
    },
  };
}

export type TwoFactorRepository = ReturnType<typeof createTwoFactorRepository>;
