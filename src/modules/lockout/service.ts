import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Outbox } from '../../platform/outbox.js';
import type { Secrets } from '../../platform/secrets.js';
import type { AuditRepository } from '../audit/repository.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRow } from '../users/repository.js';
import { createLockoutRepository } from './repository.js';

interface Deps {
  db: Database;
  secrets: Secrets;
  outbox: Outbox;
  metrics: Metrics;
  audit: AuditRepository;
  clock: Clock;
  config: Pick<Config, 'lockoutThreshold' | 'lockoutDurationSeconds' | 'publicUrl'>;
}

const maxLockSeconds = 24 * 3600;

/**
 * Brute-force protection per identifier (Keycloak-style): after the threshold
 * of consecutive failures the identifier is locked, each further lockout twice
 * as long. Keyed by a MAC of the normalized email, so an address without an
 * account locks exactly like one with.
 */
export function createLockoutService({ db, secrets, outbox, metrics, audit, clock, config }: Deps) {
  const repo = createLockoutRepository(db);
  const keyOf = (email: string) => secrets.mac('login-throttle', normalizeEmail(email));

  async function locked(key: string): Promise<never> {
    const throttle = await repo.findThrottle(key);
    const now = clock.now();
    const until = throttle?.lockedUntil && throttle.lockedUntil > now ? throttle.lockedUntil : null;
    const retryAfterSeconds = until
      ? Math.ceil((until.getTime() - now.getTime()) / 1000)
      : config.lockoutDurationSeconds;
    throw new AppError('ACCOUNT_LOCKED', {
      message: 'Too many failed sign-ins; try again later or reset your password',
      retryAfterSeconds,
    });
  }

  return {
    /** Throws ACCOUNT_LOCKED (with Retry-After) before any password is checked. */
    async beforeAttempt(email: string): Promise<{ failuresBefore: number }> {
      const key = keyOf(email);
      const reserved = await repo.reserveAttempt(key, config.lockoutThreshold, clock.now());
      if (reserved === null) return locked(key);
      return { failuresBefore: reserved - 1 };
    },

    async recordFailure(email: string, user: UserRow | null, ipAddress: string): Promise<void> {
      const now = clock.now();
      const until = await repo.lockIfAtThreshold(
        keyOf(email),
        config.lockoutThreshold,
        config.lockoutDurationSeconds,
        maxLockSeconds,
        now,
      );
      if (!until) return;
      metrics.lockouts.inc();
      if (!user) return;
      await audit.insertAuditEvent({
        action: 'login.locked_out',
        targetUserId: user.id,
        ipAddress,
        details: { until: until.toISOString() },
        createdAt: now,
      });
      await outbox.enqueue('email', {
        to: user.email,
        subject: 'Sign-in to your account is paused',
        text: [
          `After ${config.lockoutThreshold} failed sign-in attempts, password sign-in to your account is paused until ${until.toISOString()}.`,
          '',
          'If it was you, wait and try again, or reset your password now: a reset lifts the pause.',
          `If it was not you, someone may be guessing your password. Reset it at ${config.publicUrl} and consider turning on two-factor authentication.`,
        ].join('\n'),
      });
    },

    async recordSuccess(email: string): Promise<void> {
      await repo.clear(keyOf(email));
    },

    /** Lifts a lockout: an administrator's unlock, or a completed password reset. */
    async clear(email: string): Promise<void> {
      await repo.clear(keyOf(email));
    },
  };
}

export type LockoutService = ReturnType<typeof createLockoutService>;
