import { and, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/database.js';
import {
  blacklistedDevices,
  permissions,
  refreshTokens,
  rolePermissions,
  roles,
  sessions,
  userRoles,
  users,
} from '../../db/schema.js';
import { preparedOnFirstUse, preparedStatement, timestamptz } from '../../db/sql.js';

export type SessionRow = typeof sessions.$inferSelect;
export type NewSession = typeof sessions.$inferInsert;
export type NewRefreshToken = typeof refreshTokens.$inferInsert;

export interface Rotation {
  tokenHash: string;
  next: { id: string; tokenHash: string; ttlEnd: Date };
  now: Date;
}

const live = (now: Date) => and(isNull(sessions.revokedAt), gt(sessions.expiresAt, now));

/**
 * Everything an authenticated request depends on, in one prepared statement:
 * the session (unless revoked), the account's profile and lock state, its
 * roles and the union of their permissions.
 */
function prepareFindAccess(db: Database) {
  return db
    .select({
      sessionId: sessions.id,
      userId: sessions.userId,
      expiresAt: sessions.expiresAt,
      lastActiveAt: sessions.lastActiveAt,
      signedInAt: sessions.createdAt,
      browserSecretHash: sessions.browserSecretHash,
      user: {
        id: users.id,
        email: users.email,
        firstName: users.firstName,
        lastName: users.lastName,
        accountType: users.accountType,
        phoneNumber: users.phoneNumber,
        emailVerifiedAt: users.emailVerifiedAt,
        phoneVerifiedAt: users.phoneVerifiedAt,
        totpEnabledAt: users.totpEnabledAt,
        smsMfaEnabledAt: users.smsMfaEnabledAt,
        createdAt: users.createdAt,
        updatedAt: users.updatedAt,
        lockedAt: users.lockedAt,
        lockedUntil: users.lockedUntil,
      },
      roles: sql<string[]>`array(select r.name from ${userRoles} ur join ${roles} r on r.id = ur.role_id
        where ur.user_id = ${sessions.userId} order by r.name)`,
      permissions: sql<string[]>`array(select distinct p.name from ${userRoles} ur
        join ${rolePermissions} rp on rp.role_id = ur.role_id join ${permissions} p on p.id = rp.permission_id
        where ur.user_id = ${sessions.userId} order by p.name)`,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.id, sql.placeholder('sessionId')), isNull(sessions.revokedAt)))
    .prepare('gatehouse_find_access');
}

/**
 * Refresh rotation in one statement, prepared (parsed and planned once per
 * connection): claims the presented token if it, its session and its account
 * are all still good and the device is not blacklisted, touches the session,
 * and inserts the next token, capped at the session's expiry.
 */
function prepareRotation(db: Database) {
  const now = sql`${sql.placeholder('now')}::timestamptz`;
  return preparedStatement<{ session_id: string; user_id: number }>(
    db,
    'gatehouse_rotate_refresh_token',
    sql`
      with claimed as (
        update ${refreshTokens} t set rotated_at = ${now}
        from ${sessions} s, ${users} u
        where t.token_hash = ${sql.placeholder('tokenHash')} and t.rotated_at is null and t.revoked_at is null
          and t.expires_at > ${now}
          and s.id = t.session_id and s.revoked_at is null and s.expires_at > ${now}
          and u.id = t.user_id
          and case when u.locked_until is not null then u.locked_until <= ${now} else u.locked_at is null end
          and not exists (select 1 from ${blacklistedDevices} b where b.device_id = s.device_id)
        returning t.session_id, t.user_id, s.expires_at as session_expires_at
      ), touched as (
        update ${sessions} set last_active_at = ${now} from claimed where ${sessions.id} = claimed.session_id
      )
      insert into ${refreshTokens} (id, session_id, user_id, token_hash, created_at, expires_at)
      select ${sql.placeholder('nextId')}, session_id, user_id, ${sql.placeholder('nextTokenHash')}, ${now},
        least(${sql.placeholder('ttlEnd')}::timestamptz, session_expires_at)
      from claimed
      returning session_id, user_id`,
  );
}

export type AccessRow = Awaited<ReturnType<ReturnType<typeof prepareFindAccess>['execute']>>[number];

export function createSessionRepository(db: Database) {
  const prepared = preparedOnFirstUse(() => ({ findAccess: prepareFindAccess(db), rotate: prepareRotation(db) }));

  return {
    /** A new session and its first refresh token, in one statement. */
    async insertSession(session: NewSession, token: Omit<NewRefreshToken, 'sessionId' | 'userId'>): Promise<void> {
      await db.execute(sql`
        with opened as (
          insert into ${sessions} (id, user_id, device_id, device_name, platform, app_version, user_agent,
            ip_address, country, city, created_at, last_active_at, expires_at)
          values (${session.id}, ${session.userId}, ${session.deviceId ?? null}, ${session.deviceName ?? null},
            ${session.platform ?? null}, ${session.appVersion ?? null}, ${session.userAgent ?? null},
            ${session.ipAddress ?? null}, ${session.country ?? null}, ${session.city ?? null},
            ${timestamptz(session.createdAt)}, ${timestamptz(session.lastActiveAt)}, ${timestamptz(session.expiresAt)})
          returning id, user_id
        )
        insert into ${refreshTokens} (id, session_id, user_id, token_hash, created_at, expires_at)
        select ${token.id}, id, user_id, ${token.tokenHash}, ${timestamptz(token.createdAt)},
          ${timestamptz(token.expiresAt)}
        from opened`);
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

    async findAccess(sessionId: string): Promise<AccessRow | null> {
      const [row] = await prepared().findAccess.execute({ sessionId });
      return row ?? null;
    },

    /**
     * Makes a just-opened session a browser session: the cookie's secret is
     * its credential, and the refresh token issued with it (never sent) is revoked.
     */
    async setBrowserSecret(sessionId: string, secretHash: string, now: Date): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.update(sessions).set({ browserSecretHash: secretHash }).where(eq(sessions.id, sessionId));
        await tx
          .update(refreshTokens)
          .set({ revokedAt: now })
          .where(and(eq(refreshTokens.sessionId, sessionId), isNull(refreshTokens.revokedAt)));
      });
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
     * The whole successful refresh in one statement: claim the presented
     * token (the conditional UPDATE is the race arbiter: of two concurrent
     * refreshes, exactly one gets a row), touch the session, issue the next
     * token, which never outlives its session. Null when anything is wrong
     * (unknown, used, revoked or expired token, ended session, locked account,
     * blocked device); the caller then finds out which.
     */
    async rotateRefreshToken({
      tokenHash,
      next,
      now,
    }: Rotation): Promise<{ sessionId: string; userId: number } | null> {
      const [row] = await prepared().rotate({
        tokenHash,
        nextId: next.id,
        nextTokenHash: next.tokenHash,
        ttlEnd: next.ttlEnd.toISOString(),
        now: now.toISOString(),
      });
      return row ? { sessionId: row.session_id, userId: row.user_id } : null;
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
