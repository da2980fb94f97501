import type { Principal } from '../../core/account.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { SessionService } from '../sessions/service.js';
import type { ActivityRepository } from './repository.js';

interface Deps {
  activity: ActivityRepository;
  sessions: SessionService;
  clock: Clock;
}

const iso = (instant: Date | null) => instant?.toISOString() ?? null;

export function createActivityService({ activity: repo, sessions, clock }: Deps) {
  return {
    async listLogins(userId: number, limit: number, offset: number) {
      const { rows, total } = await repo.listLoginEvents(userId, limit, offset);
      return {
        total,
        logins: rows.map((row) => ({
          id: row.id,
          createdAt: row.createdAt.toISOString(),
          success: row.success,
          method: row.method,
          failureReason: row.failureReason,
          ipAddress: row.ipAddress,
          country: row.country,
          city: row.city,
          deviceId: row.deviceId,
          deviceName: row.deviceName,
          platform: row.platform,
          userAgent: row.userAgent,
          flags: row.flags,
          sessionId: row.sessionId,
        })),
      };
    },

    /** Ids and metadata only: a token's value or hash never leaves the server. */
    async listTokens(userId: number) {
      const rows = await repo.listValidTokens(userId, clock.now());
      return {
        tokens: rows.map((row) => ({
          id: row.id,
          sessionId: row.sessionId,
          device: { deviceId: row.deviceId, deviceName: row.deviceName, platform: row.platform },
          ipAddress: row.ipAddress,
          country: row.country,
          city: row.city,
          createdAt: row.createdAt.toISOString(),
          lastUsedAt: iso(row.lastUsedAt),
          expiresAt: row.expiresAt.toISOString(),
        })),
      };
    },

    /** Revokes the token and signs its device out; another user's id answers like an unknown one. */
    async revokeToken(principal: Principal, tokenId: string) {
      const now = clock.now();
      const token = await repo.findValidToken(principal.userId, tokenId, now);
      if (!token) throw new AppError('TOKEN_NOT_FOUND');
      await repo.revokeToken(token.id, now);
      await sessions.endSession({ userId: principal.userId, sessionId: token.sessionId }, 'token_revoked');
      return { message: 'Token revoked and its device signed out' };
    },
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;
