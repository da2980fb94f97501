import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import { refreshTokens, sessions, users } from '../../db/schema.js';

export type SessionRow = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
export type NewRefreshToken = typeof refreshTokens.$inferInsert;

export interface LiveSession {
  sessionId: string;
  userId: number;
  lastActiveAt: Date;
  lockedAt: Date | null;
  lockedUntil: Date | null;
}

// First key of the two-key advisory lock; the second is the user id.
const sessionLockNamespace = 7_411_005;
const deviceLockNamespace = 7_411_006;

const live = (now: Date) => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now));

export function createSessionRepository(db: Database) {
  return {
    async insertSession(session: NewSession): Promise<void> {
      await db.insert(sessions).values(session);
    },

    async insertRefreshToken(token: NewRefreshToken): Promise<void> {
      await db.insert(refreshTokens).values(token);
    },

    /**
     * Serializes session creation for one user until the transaction ends:
     * without it, concurrent sign-ins on one device would each miss the
     * other's new session and leave several live.
     */
    async lockUserSessions(userId: number): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${sessionLockNamespace}, ${userId})`);
    },

    /** Serializes sign-ins on a device with its blacklisting, until the transaction ends. */
    async lockDevice(deviceId: string): Promise<void> {
      await db.execute(sql`select pg_advisory_xact_lock(${deviceLockNamespace}, hashtext(${deviceId}))`);
    },

    /** One session per device: signing in again on a device replaces its earlier session. */
    async revokeDeviceSessions(userId: number, deviceId: string, now: Date): Promise<string[]> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: 'replaced' })
        .where(and(eq(sessions.userId, userId), eq(sessions.deviceId, deviceId), live(now)))
        .returning({ id: sessions.id });
      return rows.map((row) => row.id);
    },

    /** The session and account state an authenticated request depends on, in one round trip. */
    async findLiveSession(sessionId: string, now: Date): Promise<LiveSession | null> {
      const [row] = await db
        .select({
          sessionId: sessions.id,
          userId: sessions.userId,
          lastActiveAt: sessions.lastActiveAt,
          lockedAt: users.lockedAt,
          lockedUntil: users.lockedUntil,
        })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(and(eq(sessions.id, sessionId), live(now)));
      return row ?? null;
    },

    async touchSession(sessionId: string, now: Date): Promise<void> {
      await db.update(sessions).set({ lastActiveAt: now }).where(eq(sessions.id, sessionId));
    },

    async findRefreshTokenByHash(tokenHash: string) {
      const [row] = await db
        .select({
          id: refreshTokens.id,
          sessionId: refreshTokens.sessionId,
          userId: refreshTokens.userId,
          expiresAt: refreshTokens.expiresAt,
          rotatedAt: refreshTokens.rotatedAt,
          revokedAt: refreshTokens.revokedAt,
          sessionExpiresAt: sessions.expiresAt,
          sessionRevokedAt: sessions.revokedAt,
          deviceId: sessions.deviceId,
          lockedAt: users.lockedAt,
          lockedUntil: users.lockedUntil,
        })
        .from(refreshTokens)
        .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
        .innerJoin(users, eq(users.id, refreshTokens.userId))
        .where(eq(refreshTokens.tokenHash, tokenHash));
      return row ?? null;
    },

    /**
     * Marks the token used. The conditional UPDATE is the race arbiter: of two
     * concurrent refreshes with one token, exactly one sees a row come back.
     */
    async claimRefreshToken(id: string, now: Date): Promise<boolean> {
      const rows = await db
        .update(refreshTokens)
        .set({ rotatedAt: now })
        .where(and(eq(refreshTokens.id, id), isNull(refreshTokens.rotatedAt), isNull(refreshTokens.revokedAt)))
        .returning({ id: refreshTokens.id });
      return rows.length === 1;
    },

    async revokeSession(sessionId: string, userId: number, now: Date, reason: string): Promise<boolean> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), live(now)))
        .returning({ id: sessions.id });
      return rows.length === 1;
    },

    async revokeUserSessions(userId: number, now: Date, reason: string, keepSessionId?: string): Promise<number> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.userId, userId), live(now), keepSessionId ? ne(sessions.id, keepSessionId) : undefined))
        .returning({ id: sessions.id });
      return rows.length;
    },

    /** Ends every live session of a device, whoever it belongs to (device blacklist). */
    async revokeSessionsOfDevice(deviceId: string, now: Date, reason: string): Promise<number> {
      const rows = await db
        .update(sessions)
        .set({ revokedAt: now, revokedReason: reason })
        .where(and(eq(sessions.deviceId, deviceId), live(now)))
        .returning({ id: sessions.id });
      return rows.length;
    },

    async findSession(sessionId: string): Promise<SessionRow | null> {
      const [row] = await db.select().from(sessions).where(eq(sessions.id, sessionId));
      return row ?? null;
    },

    async listLiveSessions(userId: number, now: Date): Promise<SessionRow[]> {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), live(now)))
        .orderBy(desc(sessions.lastActiveAt));
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
