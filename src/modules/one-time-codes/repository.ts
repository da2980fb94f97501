import { and, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { oneTimeCodes, sendThrottles } from '../../db/schema.js';
import { timestamptz } from '../../db/sql.js';

export type NewOneTimeCode = typeof oneTimeCodes.$inferInsert;
export type OneTimeCodeRow = typeof oneTimeCodes.$inferSelect;

export function createOneTimeCodeRepository(db: Database) {
  const open = (userId: number, purpose: string) =>
    and(
      eq(oneTimeCodes.userId, userId),
      eq(oneTimeCodes.purpose, purpose),
      isNull(oneTimeCodes.consumedAt),
      isNull(oneTimeCodes.supersededAt),
    );

  return {
    /** A new code voids every earlier open code for the same user and purpose. */
    async replaceCode(code: NewOneTimeCode): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.update(oneTimeCodes).set({ supersededAt: code.createdAt }).where(open(code.userId, code.purpose));
        await tx.insert(oneTimeCodes).values(code);
      });
    },

    /**
     * One statement counts the attempt and consumes the code if it matches, so
     * concurrent guesses can never exceed maxAttempts. Returns whether the
     * code was accepted; null when no attempt was left to spend.
     */
    async attemptCode(userId: number, purpose: string, codeHash: string, now: Date): Promise<boolean | null> {
      const latest = db
        .select({ id: oneTimeCodes.id })
        .from(oneTimeCodes)
        .where(open(userId, purpose))
        .orderBy(desc(oneTimeCodes.createdAt))
        .limit(1);
      const [row] = await db
        .update(oneTimeCodes)
        .set({
          attempts: sql`${oneTimeCodes.attempts} + 1`,
          consumedAt: sql`case when ${oneTimeCodes.codeHash} = ${codeHash} then ${timestamptz(now)} else null end`,
        })
        .where(
          and(
            inArray(oneTimeCodes.id, latest),
            isNull(oneTimeCodes.consumedAt),
            sql`${oneTimeCodes.attempts} < ${oneTimeCodes.maxAttempts}`,
            sql`${oneTimeCodes.expiresAt} > ${timestamptz(now)}`,
          ),
        )
        .returning({ consumedAt: oneTimeCodes.consumedAt });
      return row ? row.consumedAt !== null : null;
    },

    async findLatestOpenCode(userId: number, purpose: string): Promise<OneTimeCodeRow | null> {
      const [row] = await db
        .select()
        .from(oneTimeCodes)
        .where(open(userId, purpose))
        .orderBy(desc(oneTimeCodes.createdAt))
        .limit(1);
      return row ?? null;
    },

    /**
     * Counts a send to `key` if the cooldown has passed and the hourly cap is
     * not reached, atomically (INSERT ... ON CONFLICT ... WHERE). Returns false
     * when the send must be refused.
     */
    async reserveSend(key: string, now: Date, cooldownSeconds: number, hourlyLimit: number): Promise<boolean> {
      const windowStart = new Date(now.getTime() - 3_600_000);
      const cooldownStart = new Date(now.getTime() - cooldownSeconds * 1000);
      const windowOver = sql`${sendThrottles.windowStartedAt} <= ${timestamptz(windowStart)}`;
      const rows = await db
        .insert(sendThrottles)
        .values({ key, windowStartedAt: now, sentInWindow: 1, lastSentAt: now })
        .onConflictDoUpdate({
          target: sendThrottles.key,
          set: {
            windowStartedAt: sql`case when ${windowOver} then ${timestamptz(now)} else ${sendThrottles.windowStartedAt} end`,
            sentInWindow: sql`case when ${windowOver} then 1 else ${sendThrottles.sentInWindow} + 1 end`,
            lastSentAt: now,
          },
          setWhere: sql`${sendThrottles.lastSentAt} <= ${timestamptz(cooldownStart)} and (${windowOver} or ${sendThrottles.sentInWindow} < ${hourlyLimit})`,
        })
        .returning({ key: sendThrottles.key });
      return rows.length === 1;
    },

    async findThrottle(key: string) {
      const [row] = await db.select().from(sendThrottles).where(eq(sendThrottles.key, key));
      return row ?? null;
    },
  };
}

export type OneTimeCodeRepository = ReturnType<typeof createOneTimeCodeRepository>;
