import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import { type AuthenticatedPrincipal, isLocked, type Principal } from '../../core/account.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { AccessTokens } from '../../platform/access-tokens.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import { constantTimeEqual, randomToken, sha256Hex } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { AccessCache, SessionAccess } from './access-cache.js';
import type { AccessRow, SessionRepository, SessionRow } from './repository.js';

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

/** What sessions need of the device blacklist (the devices module owns it and depends on sessions). */
export interface DeviceGate {
  lockDevice(deviceId: string): Promise<void>;
  isBlacklisted(deviceId: string): Promise<boolean>;
}

interface Deps {
  sessions: SessionRepository;
  devices: DeviceGate;
  transaction: Transaction<{ sessions: SessionRepository; devices: DeviceGate }>;
  accessTokens: AccessTokens;
  accessCache: AccessCache;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'refreshTokenTtlSeconds' | 'sessionTtlSeconds' | 'refreshReuseGraceSeconds'>;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// last_active_at is a hint for the sessions list, not a security control; one write a minute is enough.
const touchIntervalMs = 60_000;

function toSessionAccess(row: AccessRow): SessionAccess {
  const { user, roles, permissions } = row;
  return {
    sessionId: row.sessionId,
    userId: row.userId,
    expiresAt: row.expiresAt,
    signedInAt: row.signedInAt,
    lastActiveAt: row.lastActiveAt,
    browserSecretHash: row.browserSecretHash,
    account: { user, roles, permissions, permissionSet: new Set(permissions) },
  };
}

export function createSessionService({
  sessions: repo,
  devices,
  transaction,
  accessTokens,
  accessCache,
  audit,
  clock,
  config,
}: Deps) {
  /**
   * A rotated token presented again means two parties hold the chain: the
   * session is ended (OAuth 2.0 Security BCP 4.14). Within the grace window
   * it is more likely a client's own retry or a concurrent refresh, which
   * is refused without ending the session.
   */
  async function handleReuse(
    token: { sessionId: string; userId: number; rotatedAt: Date | null },
    now: Date,
  ): Promise<void> {
    const rotatedAt = token.rotatedAt ?? now;
    if (now.getTime() - rotatedAt.getTime() <= config.refreshReuseGraceSeconds * 1000) return;
    const revoked = await repo.revokeSession(token.sessionId, token.userId, now, 'refresh_token_reuse');
    await audit.record('refresh_token.reused', {
      actorUserId: null,
      targetUserId: token.userId,
      details: { sessionId: token.sessionId, sessionRevoked: revoked },
    });
  }

  /** Why a refresh was refused: read only on this path, so a successful refresh is one statement. */
  async function refusal(tokenHash: string, now: Date): Promise<AppError> {
    const token = await repo.findRefreshTokenByHash(tokenHash);
    // Before the session checks: blacklisting ends the session too, and the client must learn why.
    if (token?.deviceId && (await devices.isBlacklisted(token.deviceId))) return new AppError('DEVICE_BLOCKED');
    if (
      !token ||
      token.revokedAt ||
      token.sessionRevokedAt ||
      token.expiresAt <= now ||
      token.sessionExpiresAt <= now ||
      isLocked(token, now)
    ) {
      return new AppError('REFRESH_TOKEN_INVALID');
    }
    if (token.rotatedAt) {
      await handleReuse(token, now);
      return new AppError('REFRESH_TOKEN_REUSED');
    }
    // Valid and unused, yet not rotated: something changed between the two reads. The client may retry.
    return new AppError('REFRESH_TOKEN_INVALID');
  }

  /** The session and its account, from the access cache or one prepared statement. */
  async function loadAccess(sessionId: string): Promise<SessionAccess | null> {
    const cached = accessCache.lookup(sessionId);
    if (cached) return cached;
    const readAtEpoch = accessCache.epoch();
    const row = await repo.findAccess(sessionId);
    return row ? accessCache.remember(readAtEpoch, toSessionAccess(row)) : null;
  }

  /** Null unless the session is unexpired and its account unlocked; notes the activity now and then. */
  async function admit(access: SessionAccess): Promise<AuthenticatedPrincipal | null> {
    const now = clock.now();
    if (access.expiresAt <= now || isLocked(access.account.user, now)) return null;
    if (now.getTime() - access.lastActiveAt.getTime() > touchIntervalMs) {
      access.lastActiveAt = now;
      await repo.touchSession(access.sessionId, now);
    }
    return {
      userId: access.userId,
      sessionId: access.sessionId,
      signedInAt: access.signedInAt,
      account: access.account,
    };
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
      const refreshToken = randomToken();
      const refreshTtlEnd = addSeconds(now, config.refreshTokenTtlSeconds);
      const open = (sessionRepo: SessionRepository) =>
        sessionRepo.insertSession(
          {
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
          },
          {
            id: randomUUID(),
            tokenHash: sha256Hex(refreshToken),
            createdAt: now,
            // A refresh token never outlives its session.
            expiresAt: refreshTtlEnd < session.expiresAt ? refreshTtlEnd : session.expiresAt,
          },
        );
      const { deviceId } = device;
      if (!deviceId) await open(repo);
      else {
        await transaction(async (bound) => {
          // Same lock as blacklisting: a sign-in cannot slip a session past a concurrent block.
          await bound.devices.lockDevice(deviceId);
          if (await bound.devices.isBlacklisted(deviceId)) throw new AppError('DEVICE_BLOCKED');
          await bound.sessions.revokeDeviceSessions(userId, deviceId, now);
          await open(bound.sessions);
        });
      }
      const accessToken = accessTokens.sign({ userId, sessionId: session.id }, now);
      return { sessionId: session.id, accessToken, refreshToken };
    },

    /**
     * Null for anything but a valid token of a live session of an active
     * account. The session and account come from the access cache when it
     * holds them, else from one prepared statement.
     */
    async authenticate(accessToken: string): Promise<AuthenticatedPrincipal | null> {
      const claims = await accessTokens.verify(accessToken);
      if (!claims) return null;
      const access = await loadAccess(claims.sessionId);
      return access && access.userId === claims.userId ? admit(access) : null;
    },

    /**
     * Turns a session a sign-in on the hosted pages has just opened into a
     * browser session, and returns the cookie's value: `sessionId.secret`,
     * of which only a hash of the secret is kept.
     */
    async openBrowserSession(sessionId: string): Promise<string> {
      const secret = randomToken();
      await repo.setBrowserSecret(sessionId, sha256Hex(secret), clock.now());
      return `${sessionId}.${secret}`;
    },

    /** As `authenticate`, for a browser's session cookie; null for anything but a live browser session. */
    async authenticateBrowser(cookie: string): Promise<AuthenticatedPrincipal | null> {
      const [sessionId = '', secret = '', ...rest] = cookie.split('.');
      if (rest.length > 0 || !uuidPattern.test(sessionId) || secret.length === 0) return null;
      const access = await loadAccess(sessionId);
      if (!access?.browserSecretHash || !constantTimeEqual(access.browserSecretHash, sha256Hex(secret))) return null;
      return admit(access);
    },

    /**
     * Whether a session is still live for `userId` (unexpired, unrevoked, its account unlocked): what the
     * OpenID provider asks before it trusts a single sign-on or a token issued through the session.
     */
    async isLive(sessionId: string, userId: number): Promise<boolean> {
      if (!uuidPattern.test(sessionId)) return false;
      const access = await loadAccess(sessionId);
      return access !== null && access.userId === userId && (await admit(access)) !== null;
    },

    async rotateRefreshToken(refreshToken: string) {
      const now = clock.now();
      const tokenHash = sha256Hex(refreshToken);
      const nextToken = randomToken();
      const rotated = await repo.rotateRefreshToken({
        tokenHash,
        next: {
          id: randomUUID(),
          tokenHash: sha256Hex(nextToken),
          ttlEnd: addSeconds(now, config.refreshTokenTtlSeconds),
        },
        now,
      });
      if (!rotated) throw await refusal(tokenHash, now);
      const accessToken = accessTokens.sign(rotated, now);
      return { accessToken, refreshToken: nextToken, sessionId: rotated.sessionId };
    },

    /** Logout with a refresh token instead of an access token: only a current, unused token names its session. */
    async findSessionOfRefreshToken(refreshToken: string): Promise<Principal | null> {
      const token = await repo.findRefreshTokenByHash(sha256Hex(refreshToken));
      const now = clock.now();
      if (!token || token.rotatedAt || token.revokedAt || token.expiresAt <= now) return null;
      if (token.sessionRevokedAt || token.sessionExpiresAt <= now) return null;
      return { userId: token.userId, sessionId: token.sessionId };
    },

    /** Ends `principal`'s session; `actorUserId` is who does it when that is not its owner (an administrator). */
    async endSession(principal: Principal, reason: string, actorUserId = principal.userId): Promise<boolean> {
      const ended = await repo.revokeSession(principal.sessionId, principal.userId, clock.now(), reason);
      if (ended) {
        await audit.record(reason === 'logout' ? 'session.logout' : 'session.revoked', {
          actorUserId,
          targetUserId: principal.userId,
          details: { sessionId: principal.sessionId },
        });
      }
      return ended;
    },

    /** Ends every live session of `userId`, except `keepSessionId` when given (password change). */
    async endAllSessions(userId: number, change: SessionsEnded): Promise<number> {
      const count = await repo.revokeUserSessions(userId, clock.now(), change.reason, change.keepSessionId);
      await audit.record('session.revoked_all', {
        actorUserId: change.actorUserId,
        targetUserId: userId,
        details: { reason: change.reason, count, keptSessionId: change.keepSessionId ?? null },
      });
      return count;
    },

    listSessions(userId: number): Promise<SessionRow[]> {
      return repo.listLiveSessions(userId, clock.now());
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
