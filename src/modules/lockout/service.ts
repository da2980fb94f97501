import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import type { Clock } from '../../platform/clock.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Outbox } from '../../platform/outbox.js';
import type { Secrets } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRow } from '../users/repository.js';
import type { LockoutRepository } from './repository.js';

interface Deps {
  lockout: LockoutRepository;
  secrets: Secrets;
  outbox: Outbox;
  emails: Emails;
  metrics: Metrics;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'lockoutThreshold' | 'lockoutDurationSeconds'>;
}

const maxLockSeconds = 24 * 3600;
// An attempt that finds every slot taken by checks still running waits for their outcome this long at most.
const maxWaitForChecksMs = 3000;
const waitStepMs = 20;

/**
 * Brute-force protection per identifier (Keycloak-style): after the threshold
 * of consecutive failures the identifier is locked, each further lockout twice
 * as long. Keyed by a MAC of the normalized email, so an address without an
 * account locks exactly like one with.
 */
export function createLockoutService({ lockout: repo, secrets, outbox, emails, metrics, audit, clock, config }: Deps) {
  const keyOf = (email: string) => secrets.mac('login-throttle', normalizeEmail(email));

  function lockEnd(throttle: { lockedUntil: Date | null } | null): Date | null {
    return throttle?.lockedUntil && throttle.lockedUntil > clock.now() ? throttle.lockedUntil : null;
  }

  function locked(until: Date | null): never {
    const now = clock.now();
    const retryAfterSeconds = until
      ? Math.ceil((until.getTime() - now.getTime()) / 1000)
      : config.lockoutDurationSeconds;
    throw new AppError('ACCOUNT_LOCKED', {
      message: 'Too many failed sign-ins; try again later or reset your password',
      retryAfterSeconds,
    });
  }

  return {
    /**
     * Throws ACCOUNT_LOCKED (with Retry-After) before any password is checked.
     * When the threshold is taken up by attempts still being checked (parallel
     * sign-ins), this one waits for their outcome: a success clears the count
     * and lets it through, a failure that reaches the threshold locks. So
     * parallel guesses still get at most the threshold of checks, and parallel
     * correct sign-ins are not refused.
     */
    async beforeAttempt(email: string): Promise<{ failuresBefore: number }> {
      const key = keyOf(email);
      const deadline = Date.now() + maxWaitForChecksMs;
      for (;;) {
        const reserved = await repo.reserveAttempt(key, config.lockoutThreshold, clock.now());
        if (reserved !== null) return { failuresBefore: reserved - 1 };
        const until = lockEnd(await repo.findThrottle(key));
        if (until || Date.now() >= deadline) return locked(until);
        await sleep(waitStepMs);
      }
    },

    async recordFailure(email: string, user: UserRow | null): Promise<void> {
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
      await audit.record('login.locked_out', {
        actorUserId: null,
        targetUserId: user.id,
        details: { until: until.toISOString() },
      });
      await outbox.enqueue(emails.signInPaused(user.email, config.lockoutThreshold, until));
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
