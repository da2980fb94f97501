import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import { generateCode, type OneTimeCodeService } from '../one-time-codes/service.js';
import type { ClientContext, DeviceInfo } from '../sessions/service.js';
import { completeSignIn, type SignInDeps } from '../sign-in/complete-sign-in.js';
import type { TwoFactorService } from '../two-factor/service.js';
import { normalizeEmail } from '../users/email.js';
import { createUserRepository } from '../users/repository.js';
import { alreadyRegisteredEmail, verificationCodeEmail } from './emails.js';

export interface Registration {
  email: string;
  password: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  accountType?: string | undefined;
}

interface Deps extends SignInDeps {
  db: Database;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  codes: OneTimeCodeService;
  outbox: Outbox;
  twoFactor: TwoFactorService;
  config: Pick<Config, 'exposeOtp' | 'otpTtlSeconds' | 'accessTokenTtlSeconds'>;
}

// The same words whether or not the address already had an account.
const codeSentMessage = 'If this address can receive a code, one has been sent. It expires in a few minutes.';

export function createRegistrationService(deps: Deps) {
  const { db, hasher, passwordPolicy, codes, outbox, audit, clock, config } = deps;
  const users = createUserRepository(db);

  const answer = (code: string) =>
    config.exposeOtp ? { message: codeSentMessage, otp: code } : { message: codeSentMessage };

  async function sendVerificationCode(userId: number, email: string): Promise<string> {
    const code = await codes.issueCode({ userId, purpose: 'verify_email', channel: 'email' }, email);
    await outbox.enqueue('email', verificationCodeEmail(email, code, config.otpTtlSeconds));
    return code;
  }

  return {
    /**
     * Answers identically for new and existing addresses (status, body, and a
     * password hash in both paths so timing matches): registration must not
     * tell an attacker who has an account.
     */
    async register(input: Registration, client: ClientContext) {
      const email = normalizeEmail(input.email);
      if (passwordPolicy.check(input.password)) throw new AppError('PASSWORD_TOO_COMMON');
      await codes.reserveSend('email', email);
      const passwordHash = await hasher.hash(input.password);
      const now = clock.now();
      const created = await users.insertUserIfEmailFree(
        {
          email,
          passwordHash,
          firstName: input.firstName?.trim() ?? null,
          lastName: input.lastName?.trim() ?? null,
          accountType: input.accountType ?? 'INDIVIDUAL',
          emailVerifiedAt: null,
          createdAt: now,
        },
        ['USER'],
      );
      if (created) {
        await audit.insertAuditEvent({
          action: 'user.registered',
          actorUserId: created.id,
          targetUserId: created.id,
          ipAddress: client.ipAddress,
          createdAt: now,
        });
        return answer(await sendVerificationCode(created.id, email));
      }
      const existing = await users.findUserByEmail(email);
      if (existing && !existing.emailVerifiedAt) return answer(await sendVerificationCode(existing.id, email));
      await outbox.enqueue('email', alreadyRegisteredEmail(email));
      return answer(generateCode());
    },

    async resendVerification(rawEmail: string) {
      const email = normalizeEmail(rawEmail);
      await codes.reserveSend('email', email);
      const user = await users.findUserByEmail(email);
      if (!user || user.emailVerifiedAt) return answer(generateCode());
      return answer(await sendVerificationCode(user.id, email));
    },

    /** Proves the mailbox and signs the user in on this device. */
    async verifyEmail(
      input: { email: string; otp: string; deviceInfo?: DeviceInfo | undefined },
      client: ClientContext,
    ) {
      // Before the code is spent: a blocked device must not even verify the address.
      await deps.devices.assertAllowed(input.deviceInfo?.deviceId);
      const user = await users.findUserByEmail(normalizeEmail(input.email));
      if (!user || user.emailVerifiedAt) throw new AppError('OTP_INVALID');
      await codes.consumeCode({ userId: user.id, purpose: 'verify_email', channel: 'email' }, input.otp);
      const now = clock.now();
      await users.markEmailVerified(user.id, now);
      await audit.insertAuditEvent({
        action: 'email.verified',
        actorUserId: user.id,
        targetUserId: user.id,
        ipAddress: client.ipAddress,
        createdAt: now,
      });
      const verified = { ...user, emailVerifiedAt: now };
      const device = input.deviceInfo ?? {};
      return (
        (await deps.twoFactor.challengeIfRequired(verified, device, client, 'verify_email')) ??
        completeSignIn(deps, verified, device, client, 'verify_email')
      );
    },
  };
}

export type RegistrationService = ReturnType<typeof createRegistrationService>;
