import type { Config } from '../../config.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditRepository } from '../audit/repository.js';
import type { LoginHistoryRepository, LoginMethod } from '../login-history/repository.js';
import type { RoleRepository } from '../roles/repository.js';
import type { ClientContext, DeviceInfo, SessionService } from '../sessions/service.js';
import { presentUser } from '../users/presenter.js';
import type { UserRow } from '../users/repository.js';

export interface SignInDeps {
  sessions: SessionService;
  roles: RoleRepository;
  loginHistory: LoginHistoryRepository;
  audit: AuditRepository;
  clock: Clock;
  config: Pick<Config, 'accessTokenTtlSeconds'>;
}

/**
 * The last step of every way in (password, email verification, one-time code,
 * second factor): open the session, write history and audit, shape the answer.
 */
export async function completeSignIn(
  deps: SignInDeps,
  user: UserRow,
  device: DeviceInfo,
  client: ClientContext,
  method: LoginMethod,
) {
  const tokens = await deps.sessions.startSession(user.id, device, client);
  const now = deps.clock.now();
  await deps.loginHistory.insertLoginEvent({
    userId: user.id,
    method,
    success: true,
    ipAddress: client.ipAddress,
    userAgent: device.userAgent ?? client.userAgent,
    deviceId: device.deviceId ?? null,
    deviceName: device.deviceName ?? null,
    platform: device.platform ?? null,
    sessionId: tokens.sessionId,
    createdAt: now,
  });
  await deps.audit.insertAuditEvent({
    action: 'login.succeeded',
    actorUserId: user.id,
    targetUserId: user.id,
    ipAddress: client.ipAddress,
    details: { method, sessionId: tokens.sessionId },
    createdAt: now,
  });
  const roles = await deps.roles.findRoleNames(user.id);
  return {
    user: presentUser(user, roles),
    ...tokens,
    tokenType: 'Bearer' as const,
    expiresIn: deps.config.accessTokenTtlSeconds,
  };
}

/** Failed attempts are history too: the user sees them, the audit trail keeps them. */
export async function recordFailedSignIn(
  deps: Pick<SignInDeps, 'loginHistory' | 'audit' | 'clock'>,
  userId: number | null,
  device: DeviceInfo,
  client: ClientContext,
  method: LoginMethod,
  reason: string,
) {
  const now = deps.clock.now();
  await deps.loginHistory.insertLoginEvent({
    userId,
    method,
    success: false,
    failureReason: reason,
    ipAddress: client.ipAddress,
    userAgent: device.userAgent ?? client.userAgent,
    deviceId: device.deviceId ?? null,
    deviceName: device.deviceName ?? null,
    platform: device.platform ?? null,
    createdAt: now,
  });
  await deps.audit.insertAuditEvent({
    action: 'login.failed',
    actorUserId: null,
    targetUserId: userId,
    ipAddress: client.ipAddress,
    details: { method, reason },
    createdAt: now,
  });
}
