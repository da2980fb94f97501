import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError } from '../../errors.js';
import type { Outbox } from '../../platform/outbox.js';
import { type CodeChannel, generateCode, type OneTimeCodeService } from '../one-time-codes/service.js';
import { verificationCodeEmail } from '../registration/emails.js';
import type { RegistrationService } from '../registration/service.js';
import type { ClientContext, DeviceInfo, Principal } from '../sessions/service.js';
import { isLocked } from '../sessions/service.js';
import { completeSignIn, recordFailedSignIn, type SignInDeps } from '../sign-in/complete-sign-in.js';
import type { TwoFactorService } from '../two-factor/service.js';
import { normalizeEmail } from '../users/email.js';
import { presentUser } from '../users/presenter.js';
import { createUserRepository, type UserRow } from '../users/repository.js';

export interface OtpTarget {
  channel: CodeChannel;
  purpose: 'verify_phone' | 'verify_email' | 'login';
  email?: string | undefined;
  phoneNumber?: string | undefined;
}

interface Deps extends SignInDeps {
  db: Database;
  codes: OneTimeCodeService;
  outbox: Outbox;
  registration: RegistrationService;
  twoFactor: TwoFactorService;
  config: Pick<Config, 'exposeOtp' | 'otpTtlSeconds' | 'accessTokenTtlSeconds'>;
}

const sentMessage = 'If this destination belongs to an account, a code has been sent to it.';

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', { message: `Invalid input: ${message}` });
}

/** The seed's generic OTP endpoints, dispatching on purpose and channel. */
export function createOtpService(deps: Deps) {
  const { db, codes, outbox, registration, twoFactor, roles, clock, config } = deps;
  const users = createUserRepository(db);
  const answer = (code: string) => (config.exposeOtp ? { message: sentMessage, otp: code } : { message: sentMessage });

  /** Where a sign-in code goes, and whose account it opens: verified destinations only. */
  async function loginTarget(target: OtpTarget): Promise<{ destination: string; user: UserRow | null }> {
    if (target.channel === 'email') {
      if (!target.email) throw invalid('email is required for channel email');
      const email = normalizeEmail(target.email);
      const user = await users.findUserByEmail(email);
      return { destination: email, user: user?.emailVerifiedAt ? user : null };
    }
    if (!target.phoneNumber) throw invalid('phoneNumber is required for channel sms');
    return { destination: target.phoneNumber, user: await users.findUserByVerifiedPhone(target.phoneNumber) };
  }

  function requireChannel(target: OtpTarget, channel: CodeChannel): void {
    if (target.channel !== channel) throw invalid(`purpose ${target.purpose} uses channel ${channel}`);
  }

  return {
    async send(target: OtpTarget, principal: Principal | null) {
      if (target.purpose === 'verify_email') {
        requireChannel(target, 'email');
        if (!target.email) throw invalid('email is required for purpose verify_email');
        return registration.resendVerification(target.email);
      }
      if (target.purpose === 'verify_phone') {
        requireChannel(target, 'sms');
        if (!principal) throw new AppError('UNAUTHORIZED');
        const user = await users.findUserById(principal.userId);
        if (!user?.phoneNumber) throw new AppError('PHONE_NUMBER_MISSING');
        await codes.reserveSend('sms', user.phoneNumber);
        const code = await codes.issueCode(
          { userId: user.id, purpose: 'verify_phone', channel: 'sms' },
          user.phoneNumber,
        );
        await outbox.enqueue('sms', {
          to: user.phoneNumber,
          subject: 'verify_phone',
          text: `Your verification code is ${code}`,
        });
        return answer(code);
      }
      const { destination, user } = await loginTarget(target);
      // Counted per destination before looking at accounts: the same 429 for everyone.
      await codes.reserveSend(target.channel, destination);
      if (!user) return answer(generateCode());
      const code = await codes.issueCode({ userId: user.id, purpose: 'login', channel: target.channel }, destination);
      await outbox.enqueue(
        target.channel,
        target.channel === 'email'
          ? { ...verificationCodeEmail(destination, code, config.otpTtlSeconds), subject: `Your sign-in code: ${code}` }
          : { to: destination, subject: 'login', text: `Your sign-in code is ${code}. Do not share it.` },
      );
      return answer(code);
    },

    async verify(
      target: OtpTarget & { code: string; deviceInfo?: DeviceInfo | undefined },
      principal: Principal | null,
      client: ClientContext,
    ) {
      if (target.purpose === 'verify_email') {
        requireChannel(target, 'email');
        if (!target.email) throw invalid('email is required for purpose verify_email');
        return registration.verifyEmail(
          { email: target.email, otp: target.code, deviceInfo: target.deviceInfo },
          client,
        );
      }
      if (target.purpose === 'verify_phone') {
        requireChannel(target, 'sms');
        if (!principal) throw new AppError('UNAUTHORIZED');
        await codes.consumeCode({ userId: principal.userId, purpose: 'verify_phone', channel: 'sms' }, target.code);
        const now = clock.now();
        try {
          await users.markPhoneVerified(principal.userId, now);
        } catch (error) {
          if (isUniqueViolation(error)) throw new AppError('PHONE_TAKEN');
          throw error;
        }
        const user = await users.findUserById(principal.userId);
        if (!user) throw new AppError('UNAUTHORIZED');
        return { message: 'Phone number verified', user: presentUser(user, await roles.findRoleNames(user.id)) };
      }
      const device = target.deviceInfo ?? {};
      await deps.devices.assertAllowed(device.deviceId);
      const { user } = await loginTarget(target);
      if (!user) throw new AppError('OTP_INVALID');
      await codes.consumeCode({ userId: user.id, purpose: 'login', channel: target.channel }, target.code);
      if (isLocked(user, clock.now())) {
        await recordFailedSignIn(deps, user.id, device, client, 'otp', 'ACCOUNT_LOCKED');
        throw new AppError('ACCOUNT_LOCKED');
      }
      return (
        (await twoFactor.challengeIfRequired(user, device, client, 'otp')) ??
        completeSignIn(deps, user, device, client, 'otp')
      );
    },
  };
}

export type OtpService = ReturnType<typeof createOtpService>;
