import { randomInt, randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Secrets } from '../../platform/secrets.js';
import { createOneTimeCodeRepository } from './repository.js';

/** The first three are the API's; `two_factor` codes are SMS second factors. */
export type CodePurpose = 'verify_email' | 'verify_phone' | 'login' | 'two_factor';
export type CodeChannel = 'email' | 'sms';

export interface CodeTarget {
  userId: number;
  purpose: CodePurpose;
  channel: CodeChannel;
}

interface Deps {
  db: Database;
  secrets: Secrets;
  clock: Clock;
  metrics: Metrics;
  config: Pick<Config, 'otpTtlSeconds' | 'otpMaxAttempts' | 'otpResendCooldownSeconds' | 'otpHourlyLimit'>;
}

/**
 * Six digits from the CSPRNG. Also the decoy that anti-enumeration answers
 * carry in development: the same shape, matching no stored code.
 */
export function generateCode(): string {
  return randomInt(0, 1_000_000).toString().padStart(6, '0');
}

export function createOneTimeCodeService({ db, secrets, clock, metrics, config }: Deps) {
  const repo = createOneTimeCodeRepository(db);
  // The MAC binds the code to its user, purpose and channel: a code sent to
  // verify a phone can never sign anyone in, even if a query were wrong.
  const codeHash = (target: CodeTarget, code: string) =>
    secrets.mac('one-time-code', `${target.userId}:${target.purpose}:${target.channel}:${code}`);

  return {
    /**
     * Counts a send to a destination, whether or not an account is behind it,
     * so the cooldown and hourly cap reveal nothing about who is registered.
     */
    async reserveSend(channel: CodeChannel, destination: string): Promise<void> {
      const key = `${channel}:${secrets.mac('send-throttle', destination)}`;
      const now = clock.now();
      const allowed = await repo.reserveSend(key, now, config.otpResendCooldownSeconds, config.otpHourlyLimit);
      if (allowed) return;
      const throttle = await repo.findThrottle(key);
      const cooldownEnds = throttle ? addSeconds(throttle.lastSentAt, config.otpResendCooldownSeconds) : now;
      const windowEnds =
        throttle && throttle.sentInWindow >= config.otpHourlyLimit ? addSeconds(throttle.windowStartedAt, 3600) : now;
      const waitMs = Math.max(cooldownEnds.getTime(), windowEnds.getTime()) - now.getTime();
      throw new AppError('TOO_MANY_REQUESTS', {
        message: 'A code was sent recently; wait before asking for another',
        retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
      });
    },

    /** Creates a fresh 6-digit code, voiding the previous one; returns it for delivery. */
    async issueCode(target: CodeTarget, destination: string): Promise<string> {
      const code = generateCode();
      const now = clock.now();
      await repo.replaceCode({
        id: randomUUID(),
        ...target,
        destination,
        codeHash: codeHash(target, code),
        maxAttempts: config.otpMaxAttempts,
        createdAt: now,
        expiresAt: addSeconds(now, config.otpTtlSeconds),
      });
      metrics.codesSent.inc({ channel: target.channel, purpose: target.purpose });
      return code;
    },

    /** Consumes the code or throws OTP_INVALID / OTP_EXPIRED / OTP_ATTEMPTS_EXCEEDED. */
    async consumeCode(target: CodeTarget, code: string): Promise<void> {
      const now = clock.now();
      const accepted = await repo.attemptCode(target.userId, target.purpose, codeHash(target, code), now);
      if (accepted) return;
      if (accepted === false) throw new AppError('OTP_INVALID');
      const latest = await repo.findLatestOpenCode(target.userId, target.purpose);
      if (!latest) throw new AppError('OTP_INVALID');
      if (latest.attempts >= latest.maxAttempts) throw new AppError('OTP_ATTEMPTS_EXCEEDED');
      if (latest.expiresAt <= now) throw new AppError('OTP_EXPIRED');
      throw new AppError('OTP_INVALID');
    },
  };
}

export type OneTimeCodeService = ReturnType<typeof createOneTimeCodeService>;
