import type { Config } from '../../config.js';
import type { Clock } from '../../platform/clock.js';
import type { GeoIp } from '../../platform/geoip.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Outbox } from '../../platform/outbox.js';
import type { AuditRepository } from '../audit/repository.js';
import type { DeviceService } from '../devices/service.js';
import type { LoginHistoryRepository, LoginMethod } from '../login-history/repository.js';
import { assessSignIn, failuresBeforeSuccessEmail, signInAlertEmail } from '../login-history/risk.js';
import type { RoleRepository } from '../roles/repository.js';
import type { ClientContext, DeviceInfo, SessionService } from '../sessions/service.js';
import { presentUser } from '../users/presenter.js';
import type { UserRow } from '../users/repository.js';

export interface SignInDeps {
  sessions: SessionService;
  devices: DeviceService;
  geoIp: GeoIp;
  outbox: Outbox;
  metrics: Metrics;
  roles: RoleRepository;
  loginHistory: LoginHistoryRepository;
  audit: AuditRepository;
  clock: Clock;
  config: Pick<Config, 'accessTokenTtlSeconds'>;
}

export interface SignInContext {
  /** Wrong passwords for this identifier just before this success (password sign-in only). */
  failuresBefore?: number;
}

// Fewer than this many failures before a success is ordinary typing, not worth an email.
const failuresWorthTelling = 3;

/**
 * The last step of every way in (password, email verification, one-time code,
 * second factor): open the session (which refuses a blacklisted device), locate it, judge the
 * sign-in against the user's history, write history and audit, warn the owner
 * of anything unusual, and shape the answer.
 */
export async function completeSignIn(
  deps: SignInDeps,
  user: UserRow,
  device: DeviceInfo,
  client: ClientContext,
  method: LoginMethod,
  context: SignInContext = {},
) {
  const location = await deps.geoIp.locate(client.ipAddress);
  const tokens = await deps.sessions.startSession(user.id, device, client, location);
  const flags = await assessSignIn(deps, user.id, location, device, device.deviceId ?? tokens.sessionId);
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
    country: location?.country ?? null,
    city: location?.city ?? null,
    latitude: location?.latitude ?? null,
    longitude: location?.longitude ?? null,
    flags,
    sessionId: tokens.sessionId,
    createdAt: now,
  });
  await deps.audit.insertAuditEvent({
    action: 'login.succeeded',
    actorUserId: user.id,
    targetUserId: user.id,
    ipAddress: client.ipAddress,
    details: { method, sessionId: tokens.sessionId, flags },
    createdAt: now,
  });
  if (flags.length > 0) {
    await deps.outbox.enqueue('email', signInAlertEmail(user.email, flags, now, location, device, client.ipAddress));
  }
  if ((context.failuresBefore ?? 0) >= failuresWorthTelling) {
    await deps.outbox.enqueue(
      'email',
      failuresBeforeSuccessEmail(user.email, context.failuresBefore ?? 0, now, client.ipAddress),
    );
  }
  deps.metrics.signIns.inc({ method, result: 'success', reason: '' });
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
  deps: Pick<SignInDeps, 'loginHistory' | 'audit' | 'clock' | 'metrics'>,
  userId: number | null,
  device: DeviceInfo,
  client: ClientContext,
  method: LoginMethod,
  reason: string,
) {
  deps.metrics.signIns.inc({ method, result: 'failure', reason });
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
