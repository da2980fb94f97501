import type { Config } from '../../config.js';
import { isLocked, type Principal } from '../../core/account.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import { isUniqueViolation } from '../../db/errors.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import { phoneVerificationSms, signInCodeSms } from '../../messages/sms.js';
import type { Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { DeviceService } from '../devices/service.js';
import { type CodeChannel, generateCode, type OneTimeCodeService } from '../one-time-codes/service.js';
import type { RegistrationService } from '../registration/service.js';
import type { RoleRepository } from '../roles/repository.js';
import type { SignInCompletion } from '../sign-in-completion/service.js';
import type { TwoFactorService } from '../two-factor/service.js';
import { normalizeEmail } from '../users/email.js';
import { presentUser } from '../users/presenter.js';
import type { UserRepository, UserRow } from '../users/repository.js';

export interface OtpTarget {
  channel: CodeChannel;
  purpose: 'verify_phone' | 'verify_email' | 'login';
  email?: string | undefined;
  phoneNumber?: string | undefined;
}

interface Deps {
  users: UserRepository;
  roles: RoleRepository;
  devices: DeviceService;
  codes: OneTimeCodeService;
  registration: RegistrationService;
  twoFactor: TwoFactorService;
  completion: SignInCompletion;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'exposeOtp' | 'otpTtlSeconds'>;
}

const sentMessage = 'If this destination belongs to an account, a code has been sent to it.';

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', { message: `Invalid input: ${message}` });
}

/** The seed's generic OTP endpoints, dispatching on purpose and channel. */
export function createOtpService({
  users,
  roles,
  devices,
  codes,
  registration,
  twoFactor,
  completion,
  outbox,
  emails,
  audit,
  clock,
  config,
}: Deps) {
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
        await codes.reserveSend({ channel: 'sms', purpose: 'verify_phone', destination: user.phoneNumber });
        const code = await codes.issueCode(
          { userId: user.id, purpose: 'verify_phone', channel: 'sms' },
          user.phoneNumber,
        );
        await outbox.enqueue(phoneVerificationSms(user.phoneNumber, code));
        return answer(code);
      }
      const { destination, user } = await loginTarget(target);
      // Counted per destination before looking at accounts: the same 429 for everyone.
      await codes.reserveSend({ channel: target.channel, purpose: 'login', destination });
      if (!user) return answer(generateCode());
      const code = await codes.issueCode({ userId: user.id, purpose: 'login', channel: target.channel }, destination);
      await outbox.enqueue(
        target.channel === 'email'
          ? emails.signInCode(destination, code, config.otpTtlSeconds)
          : signInCodeSms(destination, code),
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
        await audit.record('phone.verified', { actorUserId: user.id, targetUserId: user.id });
        return { message: 'Phone number verified', user: presentUser(user, await roles.findRoleNames(user.id)) };
      }
      const device = target.deviceInfo ?? {};
      await devices.assertAllowed(device.deviceId);
      const { user } = await loginTarget(target);
      if (!user) throw new AppError('OTP_INVALID');
      await codes.consumeCode({ userId: user.id, purpose: 'login', channel: target.channel }, target.code);
      if (isLocked(user, clock.now())) {
        await completion.recordFailure(user.id, device, client, 'otp', 'ACCOUNT_LOCKED');
        throw new AppError('ACCOUNT_LOCKED');
      }
      return (
        (await twoFactor.challengeIfRequired(user, device, client, 'otp')) ??
        completion.complete(user, device, client, 'otp')
      );
    },
  };
}

export type OtpService = ReturnType<typeof createOtpService>;
