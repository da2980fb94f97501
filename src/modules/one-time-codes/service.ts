import { randomInt, randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import type { Metrics } from '../../platform/metrics.js';
import type { Secrets } from '../../platform/secrets.js';
import type { OneTimeCodeRepository } from './repository.js';

/** The first three are the API's; `two_factor` codes are SMS second factors. */
export type CodePurpose = 'verify_email' | 'verify_phone' | 'login' | 'two_factor';
export type CodeChannel = 'email' | 'sms';

export interface CodeTarget {
  userId: number;
  purpose: CodePurpose;
  channel: CodeChannel;
}

/** One message about to go out: to whom, how, and why. */
export interface Send {
  channel: CodeChannel;
  /** A code purpose, or another reason to write to the destination (`password_reset`). */
  purpose: CodePurpose | 'password_reset';
  destination: string;
}

interface Deps {
  codes: OneTimeCodeRepository;
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

// No hourly cap on a cooldown key: the cap is counted on the destination's own key.
const uncapped = 2_147_483_647;

export function createOneTimeCodeService({ codes: repo, secrets, clock, metrics, config }: Deps) {
  // The MAC binds the code to its user, purpose and channel: a code sent to
  // verify a phone can never sign anyone in, even if a query were wrong.
  const codeHash = (target: CodeTarget, code: string) =>
    secrets.mac('one-time-code', `${target.userId}:${target.purpose}:${target.channel}:${code}`);

  /** Whole seconds from now until `end`, at least one. */
  const secondsUntil = (end: Date | null, now: Date) =>
    Math.max(1, Math.ceil(((end ?? now).getTime() - now.getTime()) / 1000));

  /**
   * Counts a send to a destination, whether or not an account is behind it, so
   * the limits reveal nothing about who is registered: a cooldown per
   * destination and purpose (a sign-in code right after a verification code
   * is fine), then the hourly cap per destination. Null when the send may go,
   * else how long to wait.
   */
  async function tryReserveSend({
    channel,
    purpose,
    destination,
  }: Send): Promise<{ retryAfterSeconds: number } | null> {
    const mailbox = `${channel}:${secrets.mac('send-throttle', destination)}`;
    const cooldownKey = `${mailbox}:${purpose}`;
    const now = clock.now();
    if (!(await repo.reserveSend(cooldownKey, now, config.otpResendCooldownSeconds, uncapped))) {
      const throttle = await repo.findThrottle(cooldownKey);
      const cooldownEnds = throttle ? addSeconds(throttle.lastSentAt, config.otpResendCooldownSeconds) : null;
      return { retryAfterSeconds: secondsUntil(cooldownEnds, now) };
    }
    if (!(await repo.reserveSend(mailbox, now, 0, config.otpHourlyLimit))) {
      const throttle = await repo.findThrottle(mailbox);
      return { retryAfterSeconds: secondsUntil(throttle ? addSeconds(throttle.windowStartedAt, 3600) : null, now) };
    }
    return null;
  }

  return {
    tryReserveSend,

    /** As `tryReserveSend`, answering a refusal with 429 and Retry-After. */
    async reserveSend(send: Send): Promise<void> {
      const refused = await tryReserveSend(send);
      if (!refused) return;
      throw new AppError('TOO_MANY_REQUESTS', {
        message: 'A code was sent recently; wait before asking for another',
        retryAfterSeconds: refused.retryAfterSeconds,
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
