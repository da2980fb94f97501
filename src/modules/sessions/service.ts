import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { AccessTokens } from '../../platform/access-tokens.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import { randomToken, sha256Hex } from '../../platform/secrets.js';
import type { AuditRepository } from '../audit/repository.js';
import { createDeviceRepository } from '../devices/repository.js';
import { createSessionRepository, type SessionRow } from './repository.js';

export interface DeviceInfo {
  deviceName?: string | undefined;
  platform?: string | undefined;
  appVersion?: string | undefined;
  userAgent?: string | undefined;
  deviceId?: string | undefined;
  fingerprint?: string | undefined;
}

/** Who is calling, as the HTTP layer saw it. */
export interface ClientContext {
  ipAddress: string;
  userAgent: string | null;
}

export interface IssuedTokens {
  sessionId: string;
  accessToken: string;
  refreshToken: string;
}

export interface SessionsEnded {
  actorUserId: number;
  reason: string;
  keepSessionId?: string | undefined;
}

export interface Principal {
  userId: number;
  sessionId: string;
}

interface Deps {
  db: Database;
  accessTokens: AccessTokens;
  audit: AuditRepository;
  clock: Clock;
  config: Pick<Config, 'refreshTokenTtlSeconds' | 'sessionTtlSeconds' | 'refreshReuseGraceSeconds'>;
}

// last_active_at is a hint for the sessions list, not a security control; one write a minute is enough.
const touchIntervalMs = 60_000;

export function isLocked(account: { lockedAt: Date | null; lockedUntil: Date | null }, now: Date): boolean {
  if (account.lockedUntil) return account.lockedUntil > now;
  return account.lockedAt !== null;
}

export function createSessionService({ db, accessTokens, audit, clock, config }: Deps) {
  const repo = createSessionRepository(db);
  const devices = createDeviceRepository(db);

  async function issueRefreshToken(
    tx: ReturnType<typeof createSessionRepository>,
    session: { id: string; userId: number; expiresAt: Date },
    now: Date,
  ): Promise<string> {
    const refreshToken = randomToken();
    const ttlEnd = addSeconds(now, config.refreshTokenTtlSeconds);
    await tx.insertRefreshToken({
      id: randomUUID(),
      sessionId: session.id,
      userId: session.userId,
      tokenHash: sha256Hex(refreshToken),
      createdAt: now,
      // A refresh token never outlives its session.
      expiresAt: ttlEnd < session.expiresAt ? ttlEnd : session.expiresAt,
    });
    return refreshToken;
  }

  /**
   * A rotated token presented again means two parties hold the chain: the
   * session is ended (OAuth 2.0 Security BCP 4.14). Within the grace window
   * it is more likely a client's own retry or a concurrent refresh, which
   * is refused without ending the session.
   */
  async function handleReuse(
    token: { sessionId: string; userId: number; rotatedAt: Date | null },
    now: Date,
    client: ClientContext,
  ): Promise<void> {
    const rotatedAt = token.rotatedAt ?? now;
    if (now.getTime() - rotatedAt.getTime() <= config.refreshReuseGraceSeconds * 1000) return;
    const revoked = await repo.revokeSession(token.sessionId, token.userId, now, 'refresh_token_reuse');
    await audit.insertAuditEvent({
      action: 'refresh_token.reused',
      actorUserId: null,
      targetUserId: token.userId,
      ipAddress: client.ipAddress,
      details: { sessionId: token.sessionId, sessionRevoked: revoked },
      createdAt: now,
    });
  }

  return {
    async startSession(
      userId: number,
      device: DeviceInfo,
      client: ClientContext,
      location: { country: string; city: string | null } | null,
    ): Promise<IssuedTokens> {
      const now = clock.now();
      const session = { id: randomUUID(), userId, expiresAt: addSeconds(now, config.sessionTtlSeconds) };
      const refreshToken = await db.transaction(async (tx) => {
        const txRepo = createSessionRepository(tx as unknown as Database);
        if (device.deviceId) {
          await txRepo.lockUserSessions(userId);
          // Same lock as blacklisting: a sign-in cannot slip a session past a concurrent block.
          await txRepo.lockDevice(device.deviceId);
          if (await createDeviceRepository(tx as unknown as Database).isBlacklisted(device.deviceId)) {
            throw new AppError('DEVICE_BLOCKED');
          }
          await txRepo.revokeDeviceSessions(userId, device.deviceId, now);
        }
        await txRepo.insertSession({
          ...session,
          deviceId: device.deviceId ?? null,
          deviceName: device.deviceName ?? null,
          platform: device.platform ?? null,
          appVersion: device.appVersion ?? null,
          userAgent: device.userAgent ?? client.userAgent,
          ipAddress: client.ipAddress,
          country: location?.country ?? null,
          city: location?.city ?? null,
          createdAt: now,
          lastActiveAt: now,
        });
        return issueRefreshToken(txRepo, session, now);
      });
      const accessToken = await accessTokens.sign({ userId, sessionId: session.id }, now);
      return { sessionId: session.id, accessToken, refreshToken };
    },

    /** Null for anything but a valid token of a live session of an active account. */
    async authenticate(accessToken: string): Promise<Principal | null> {
      const claims = await accessTokens.verify(accessToken);
      if (!claims) return null;
      const now = clock.now();
      const session = await repo.findLiveSession(claims.sessionId, now);
      if (!session || session.userId !== claims.userId || isLocked(session, now)) return null;
      if (now.getTime() - session.lastActiveAt.getTime() > touchIntervalMs) {
        await repo.touchSession(session.sessionId, now);
      }
      return { userId: session.userId, sessionId: session.sessionId };
    },

    async rotateRefreshToken(refreshToken: string, client: ClientContext) {
      const now = clock.now();
      const token = await repo.findRefreshTokenByHash(sha256Hex(refreshToken));
      // Before the session checks: blacklisting ends the session too, and the client must learn why.
      if (token?.deviceId && (await devices.isBlacklisted(token.deviceId))) throw new AppError('DEVICE_BLOCKED');
      if (
        !token ||
        token.revokedAt ||
        token.sessionRevokedAt ||
        token.expiresAt <= now ||
        token.sessionExpiresAt <= now ||
        isLocked(token, now)
      ) {
        throw new AppError('REFRESH_TOKEN_INVALID');
      }
      const session = { id: token.sessionId, userId: token.userId, expiresAt: token.sessionExpiresAt };
      const newRefreshToken = await db.transaction(async (tx) => {
        const txRepo = createSessionRepository(tx as unknown as Database);
        if (!(await txRepo.claimRefreshToken(token.id, now))) return null;
        await txRepo.touchSession(token.sessionId, now);
        return issueRefreshToken(txRepo, session, now);
      });
      if (!newRefreshToken) {
        await handleReuse(token, now, client);
        throw new AppError('REFRESH_TOKEN_REUSED');
      }
      const accessToken = await accessTokens.sign({ userId: token.userId, sessionId: token.sessionId }, now);
      return { accessToken, refreshToken: newRefreshToken, sessionId: token.sessionId };
    },

    /** Logout with a refresh token instead of an access token: only a current, unused token names its session. */
    async findSessionOfRefreshToken(refreshToken: string): Promise<Principal | null> {
      const token = await repo.findRefreshTokenByHash(sha256Hex(refreshToken));
      const now = clock.now();
      if (!token || token.rotatedAt || token.revokedAt || token.expiresAt <= now) return null;
      if (token.sessionRevokedAt || token.sessionExpiresAt <= now) return null;
      return { userId: token.userId, sessionId: token.sessionId };
    },

    async endSession(principal: Principal, reason: string, client: ClientContext): Promise<boolean> {
      const now = clock.now();
      const ended = await repo.revokeSession(principal.sessionId, principal.userId, now, reason);
      if (ended) {
        await audit.insertAuditEvent({
          action: reason === 'logout' ? 'session.logout' : 'session.revoked',
          actorUserId: principal.userId,
          targetUserId: principal.userId,
          ipAddress: client.ipAddress,
          details: { sessionId: principal.sessionId },
          createdAt: now,
        });
      }
      return ended;
    },

    /** Ends every live session of `userId`, except `keepSessionId` when given (password change). */
    async endAllSessions(userId: number, change: SessionsEnded, client: ClientContext): Promise<number> {
      const now = clock.now();
      const count = await repo.revokeUserSessions(userId, now, change.reason, change.keepSessionId);
      await audit.insertAuditEvent({
        action: 'session.revoked_all',
        actorUserId: change.actorUserId,
        targetUserId: userId,
        ipAddress: client.ipAddress,
        details: { reason: change.reason, count, keptSessionId: change.keepSessionId ?? null },
        createdAt: now,
      });
      return count;
    },

    listSessions(userId: number): Promise<SessionRow[]> {
      return repo.listLiveSessions(userId, clock.now());
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
