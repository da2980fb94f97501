import { and, count, desc, eq, gt, isNull } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { loginEvents, refreshTokens, sessions } from '../../db/schema.js';

export function createActivityRepository(db: Database) {
  const validTokens = (userId: number, now: Date) =>
    and(
      eq(refreshTokens.userId, userId),
      isNull(refreshTokens.rotatedAt),
      isNull(refreshTokens.revokedAt),
      gt(refreshTokens.expiresAt, now),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, now),
    );

  return {
    async listLoginEvents(userId: number, limit: number, offset: number) {
      const where = eq(loginEvents.userId, userId);
      const [rows, [total]] = await Promise.all([
        db
          .select()
          .from(loginEvents)
          .where(where)
          .orderBy(desc(loginEvents.createdAt), desc(loginEvents.id))
          .limit(limit)
          .offset(offset),
        db.select({ value: count() }).from(loginEvents).where(where),
      ]);
      return { rows, total: total?.value ?? 0 };
    },

    /** The refresh token each live session can still use: one per session. */
    listValidTokens(userId: number, now: Date) {
      return db
        .select({
          id: refreshTokens.id,
          sessionId: refreshTokens.sessionId,
          createdAt: refreshTokens.createdAt,
          expiresAt: refreshTokens.expiresAt,
          lastUsedAt: sessions.lastActiveAt,
          deviceId: sessions.deviceId,
          deviceName: sessions.deviceName,
          platform: sessions.platform,
          ipAddress: sessions.ipAddress,
          country: sessions.country,
          city: sessions.city,
        })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(validTokens(userId, now))
        .orderBy(desc(refreshTokens.createdAt));
    },

    async findValidToken(userId: number, tokenId: string, now: Date) {
      const [row] = await db
        .select({ id: refreshTokens.id, sessionId: refreshTokens.sessionId })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .where(and(eq(refreshTokens.id, tokenId), validTokens(userId, now)));
      return row ?? null;
    },

    async revokeToken(tokenId: string, now: Date): Promise<void> {
      await db.update(refreshTokens).set({ revokedAt: now }).where(eq(refreshTokens.id, tokenId));
    },
  };
}

export type ActivityRepository = ReturnType<typeof createActivityRepository>;
