import type { Config } from '../../config.js';
import { isLocked } from '../../core/account.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import type { Clock } from '../../platform/clock.js';
import type { GeoIp } from '../../platform/geoip.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Outbox } from '../../platform/outbox.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { DeviceService } from '../devices/service.js';
import type { LoginHistoryRepository, LoginMethod } from '../login-history/repository.js';
import { assessSignIn } from '../login-history/risk.js';
import type { RoleRepository } from '../roles/repository.js';
import type { SessionService } from '../sessions/service.js';
import { presentUser } from '../users/presenter.js';
import type { UserRow } from '../users/repository.js';

interface Deps {
  sessions: SessionService;
  devices: DeviceService;
  geoIp: GeoIp;
  outbox: Outbox;
  emails: Emails;
  metrics: Metrics;
  roles: RoleRepository;
  loginHistory: LoginHistoryRepository;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'accessTokenTtlSeconds'>;
}

/** Where an attempt came from, as login history keeps it for successes and failures alike. */
export function attemptOrigin(device: DeviceInfo, client: ClientContext) {
  return {
    ipAddress: client.ipAddress,
    userAgent: device.userAgent ?? client.userAgent,
    deviceId: device.deviceId ?? null,
    deviceName: device.deviceName ?? null,
    platform: device.platform ?? null,
  };
}

export interface SignInContext {
  /** Wrong passwords for this identifier just before this success (password sign-in only). */
  failuresBefore?: number;
}

// Fewer than this many failures before a success is ordinary typing, not worth an email.
const failuresWorthTelling = 3;

/**
 * The last step of every way in (password, email verification, one-time code,
 * second factor), and the record of every failed one.
 */
export function createSignInCompletion(deps: Deps) {
  const { sessions, geoIp, outbox, emails, metrics, roles, loginHistory, audit, clock, config } = deps;

  /** Failed attempts are history too: the user sees them, the audit trail keeps them. */
  async function recordFailure(
    userId: number | null,
    device: DeviceInfo,
    client: ClientContext,
    method: LoginMethod,
    reason: string,
  ): Promise<void> {
    metrics.signIns.inc({ method, result: 'failure', reason });
    await loginHistory.insertLoginEvent({
      userId,
      method,
      success: false,
      failureReason: reason,
      ...attemptOrigin(device, client),
      createdAt: clock.now(),
    });
    await audit.record('login.failed', { actorUserId: null, targetUserId: userId, details: { method, reason } });
  }

  return {
    /**
     * What bars an account whose credential was just accepted, whatever the way in: a lock (with
     * when it ends, if it does) or an address never confirmed. Recorded as a failure, then thrown.
     */
    async assertCanSignIn(user: UserRow, device: DeviceInfo, client: ClientContext, method: LoginMethod) {
      const now = clock.now();
      const refusal = isLocked(user, now)
        ? new AppError('ACCOUNT_LOCKED', {
            ...(user.lockedUntil
              ? { retryAfterSeconds: Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000) }
              : {}),
          })
        : user.emailVerifiedAt
          ? null
          : new AppError('EMAIL_NOT_VERIFIED');
      if (!refusal) return;
      await recordFailure(user.id, device, client, method, refusal.code);
      throw refusal;
    },

    /**
     * Opens the session (which refuses a blacklisted device), locates it,
     * judges the sign-in against the user's history, writes history and
     * audit, warns the owner of anything unusual, and shapes the answer.
     */
    async complete(
      user: UserRow,
      device: DeviceInfo,
      client: ClientContext,
      method: LoginMethod,
      context: SignInContext = {},
    ) {
      const location = await geoIp.locate(client.ipAddress);
      const tokens = await sessions.startSession(user.id, device, client, location);
      const flags = await assessSignIn(deps, user.id, location, device, device.deviceId ?? tokens.sessionId);
      const now = clock.now();
      await loginHistory.insertLoginEvent({
        userId: user.id,
        method,
        success: true,
        ...attemptOrigin(device, client),
        country: location?.country ?? null,
        city: location?.city ?? null,
        latitude: location?.latitude ?? null,
        longitude: location?.longitude ?? null,
        flags,
        sessionId: tokens.sessionId,
        createdAt: now,
      });
      await audit.record('login.succeeded', {
        actorUserId: user.id,
        targetUserId: user.id,
        details: { method, sessionId: tokens.sessionId, flags },
      });
      if (flags.length > 0) {
        await outbox.enqueue(
          emails.signInAlert(user.email, { flags, when: now, location, device, ipAddress: client.ipAddress }),
        );
      }
      const failuresBefore = context.failuresBefore ?? 0;
      if (failuresBefore >= failuresWorthTelling) {
        await outbox.enqueue(emails.failuresBeforeSuccess(user.email, failuresBefore, now, client.ipAddress));
      }
      metrics.signIns.inc({ method, result: 'success', reason: '' });
      return {
        user: presentUser(user, await roles.findRoleNames(user.id)),
        ...tokens,
        tokenType: 'Bearer' as const,
        expiresIn: config.accessTokenTtlSeconds,
      };
    },

    recordFailure,
  };
}

export type SignInCompletion = ReturnType<typeof createSignInCompletion>;
