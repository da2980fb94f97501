import { and, eq, gte, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { loginThrottles } from '../../db/schema.js';
import { timestamptz } from '../../db/sql.js';

// A run of failures older than this no longer counts toward a lockout.
const failureMemorySeconds = 24 * 3600;

export function createLockoutRepository(db: Database) {
  return {
    /**
     * Counts an attempt before the password is checked, in one statement, so
     * parallel guesses can never exceed the threshold. Null while locked.
     */
    async reserveAttempt(key: string, threshold: number, now: Date): Promise<number | null> {
      const stale = new Date(now.getTime() - failureMemorySeconds * 1000);
      const fresh = sql`(coalesce(${loginThrottles.lockedUntil} <= ${timestamptz(now)}, false) or ${loginThrottles.updatedAt} <= ${timestamptz(stale)})`;
      const rows = await db
        .insert(loginThrottles)
        .values({ key, failures: 1, updatedAt: now })
        .onConflictDoUpdate({
          target: loginThrottles.key,
          set: {
            failures: sql`case when ${fresh} then 1 else ${loginThrottles.failures} + 1 end`,
            lockedUntil: sql`case when ${fresh} then null else ${loginThrottles.lockedUntil} end`,
            updatedAt: now,
          },
          setWhere: sql`(${loginThrottles.lockedUntil} is null or ${loginThrottles.lockedUntil} <= ${timestamptz(now)})
            and (${loginThrottles.failures} < ${threshold} or ${fresh})`,
        })
        .returning({ failures: loginThrottles.failures });
      return rows[0]?.failures ?? null;
    },

    /** Locks once the threshold is reached; returns the lock's end, or null if this call did not lock. */
    async lockIfAtThreshold(key: string, threshold: number, baseSeconds: number, maxSeconds: number, now: Date) {
      const lengthSeconds = sql`least(${maxSeconds}, ${baseSeconds} * power(2, ${loginThrottles.lockouts}))`;
      const [row] = await db
        .update(loginThrottles)
        .set({
          lockedUntil: sql`${timestamptz(now)} + make_interval(secs => ${lengthSeconds})`,
          lockouts: sql`${loginThrottles.lockouts} + 1`,
          failures: 0,
          updatedAt: now,
        })
        .where(
          and(
            eq(loginThrottles.key, key),
            gte(loginThrottles.failures, threshold),
            or(isNull(loginThrottles.lockedUntil), lte(loginThrottles.lockedUntil, now)),
          ),
        )
        .returning({ lockedUntil: loginThrottles.lockedUntil });
      return row?.lockedUntil ?? null;
    },

    async findThrottle(key: string) {
      const [row] = await db.select().from(loginThrottles).where(eq(loginThrottles.key, key));
      return row ?? null;
    },

    async clear(key: string): Promise<void> {
      await db.delete(loginThrottles).where(eq(loginThrottles.key, key));
    },
  };
}

export type LockoutRepository = ReturnType<typeof createLockoutRepository>;
