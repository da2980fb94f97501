import { and, gt, gte, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { loginEvents, outboxMessages, sessions, users } from '../../db/schema.js';
import { timestamptz } from '../../db/sql.js';

const counted = (condition: ReturnType<typeof sql>) => sql<number>`count(*) filter (where ${condition})::int`;

/** Counts for the console's overview, each one aggregate query. */
export function createStatisticsRepository(db: Database) {
  return {
    async countAccounts(now: Date) {
      const locked = sql`case when ${users.lockedUntil} is not null then ${users.lockedUntil} > ${timestamptz(now)}
        else ${users.lockedAt} is not null end`;
      const [row] = await db
        .select({
          total: sql<number>`count(*)::int`,
          verified: counted(sql`${users.emailVerifiedAt} is not null`),
          locked: counted(locked),
          twoFactor: counted(sql`${users.totpEnabledAt} is not null or ${users.smsMfaEnabledAt} is not null`),
        })
        .from(users);
      return row ?? { total: 0, verified: 0, locked: 0, twoFactor: 0 };
    },

    async countLiveSessions(now: Date): Promise<number> {
      const [row] = await db
        .select({ value: sql<number>`count(*)::int` })
        .from(sessions)
        .where(and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
      return row?.value ?? 0;
    },

    /** Sign-ins since `since`, per UTC hour (`2026-01-15T10`), successes and failures apart. */
    signInsPerHour(since: Date) {
      const hour = sql<string>`to_char(date_trunc('hour', ${loginEvents.createdAt} at time zone 'UTC'), 'YYYY-MM-DD"T"HH24')`;
      return db
        .select({
          hour,
          succeeded: counted(sql`${loginEvents.success}`),
          failed: counted(sql`not ${loginEvents.success}`),
        })
        .from(loginEvents)
        .where(gte(loginEvents.createdAt, since))
        .groupBy(hour);
    },

    async countOutbox() {
      const [row] = await db
        .select({
          waiting: counted(sql`${outboxMessages.failedAt} is null`),
          failed: counted(sql`${outboxMessages.failedAt} is not null`),
        })
        .from(outboxMessages);
      return row ?? { waiting: 0, failed: 0 };
    },
  };
}

export type StatisticsRepository = ReturnType<typeof createStatisticsRepository>;
