import type { Config } from '../../config.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import type { Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { DeviceService } from '../devices/service.js';
import { generateCode, type OneTimeCodeService } from '../one-time-codes/service.js';
import type { SignInCompletion } from '../sign-in-completion/service.js';
import type { TwoFactorService } from '../two-factor/service.js';
import { normalizeEmail } from '../users/email.js';
import { type AccountRequest, newAccount } from '../users/new-account.js';
import type { UserRepository } from '../users/repository.js';

interface Deps {
  users: UserRepository;
  devices: DeviceService;
  codes: OneTimeCodeService;
  twoFactor: TwoFactorService;
  completion: SignInCompletion;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'exposeOtp' | 'otpTtlSeconds'>;
}

// The same words whether or not the address already had an account.
const codeSentMessage = 'If this address can receive a code, one has been sent. It expires in a few minutes.';

export function createRegistrationService(deps: Deps) {
  const { users, devices, codes, twoFactor, completion, outbox, emails, audit, clock, config } = deps;
  const answer = (code: string) =>
    config.exposeOtp ? { message: codeSentMessage, otp: code } : { message: codeSentMessage };
  // What an address that gets nothing more is answered: the same shape, a code that matches nothing.
  const decoy = () => answer(generateCode());

  /** Counted like any send; within a cooldown nothing goes out, and the caller is not told so. */
  const maySend = async (email: string) =>
    (await codes.tryReserveSend({ channel: 'email', purpose: 'verify_email', destination: email })) === null;

  async function sendVerificationCode(userId: number, email: string): Promise<string> {
    const code = await codes.issueCode({ userId, purpose: 'verify_email', channel: 'email' }, email);
    await outbox.enqueue(emails.verificationCode(email, code, config.otpTtlSeconds));
    return code;
  }

  return {
    /**
     * Answers identically for new and existing addresses, inside a cooldown
     * or not (status, body, and a password hash in every path so timing
     * matches): registration must not tell an attacker who has an account.
     */
    async register(input: AccountRequest) {
      const account = await newAccount(input, deps, { createdAt: clock.now(), emailVerifiedAt: null });
      const { email } = account;
      const created = await users.insertUserIfEmailFree(account, ['USER']);
      if (created) {
        await audit.record('user.registered', { actorUserId: created.id, targetUserId: created.id });
        return (await maySend(email)) ? answer(await sendVerificationCode(created.id, email)) : decoy();
      }
      if (!(await maySend(email))) return decoy();
      const existing = await users.findUserByEmail(email);
      if (existing && !existing.emailVerifiedAt) return answer(await sendVerificationCode(existing.id, email));
      await outbox.enqueue(emails.alreadyRegistered(email));
      return decoy();
    },

    async resendVerification(rawEmail: string) {
      const email = normalizeEmail(rawEmail);
      if (!(await maySend(email))) return decoy();
      const user = await users.findUserByEmail(email);
      if (!user || user.emailVerifiedAt) return decoy();
      return answer(await sendVerificationCode(user.id, email));
    },

    /** Proves the mailbox and signs the user in on this device. */
    async verifyEmail(
      input: { email: string; otp: string; deviceInfo?: DeviceInfo | undefined },
      client: ClientContext,
    ) {
      // Before the code is spent: a blocked device must not even verify the address.
      await devices.assertAllowed(input.deviceInfo?.deviceId);
      const user = await users.findUserByEmail(normalizeEmail(input.email));
      if (!user || user.emailVerifiedAt) throw new AppError('OTP_INVALID');
      await codes.consumeCode({ userId: user.id, purpose: 'verify_email', channel: 'email' }, input.otp);
      const now = clock.now();
      await users.markEmailVerified(user.id, now);
      await audit.record('email.verified', { actorUserId: user.id, targetUserId: user.id });
      const verified = { ...user, emailVerifiedAt: now };
      const device = input.deviceInfo ?? {};
      return (
        (await twoFactor.challengeIfRequired(verified, device, client, 'verify_email')) ??
        completion.complete(verified, device, client, 'verify_email')
      );
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
