import { randomUUID } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Config } from '../../config.js';
import type { ClientContext, DeviceInfo } from '../../core/client.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import { secondFactorSms } from '../../messages/sms.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher } from '../../platform/password.js';
import { randomToken, type Secrets, sha256Hex } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { LoginMethod } from '../login-history/repository.js';
import type { OneTimeCodeService } from '../one-time-codes/service.js';
import type { PasskeyService } from '../passkeys/service.js';
import type { SignInCompletion } from '../sign-in-completion/service.js';
import type { UserRepository, UserRow } from '../users/repository.js';
import { createTwoFactorEnrollment, hasTwoFactor, totpSecretPurpose } from './enrollment.js';
import type { TwoFactorRepository } from './repository.js';
import { matchTotpStep } from './totp.js';

export interface TwoFactorDeps {
  users: UserRepository;
  twoFactor: TwoFactorRepository;
  completion: SignInCompletion;
  codes: OneTimeCodeService;
  passkeys: PasskeyService;
  hasher: PasswordHasher;
  secrets: Secrets;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'exposeOtp'>;
}

export interface SecondFactor {
  method?: 'totp' | 'sms' | undefined;
  code?: string | undefined;
  recoveryCode?: string | undefined;
  /** A WebAuthn assertion answering options from `passkeyOptions` (sign-in only). */
  passkey?: { challengeId: string; response: AuthenticationResponseJSON } | undefined;
}

const challengeTtlSeconds = 300;
const failureLimit = 10;
const lockSeconds = 15 * 60;

// Defined beside the enrollment that turns factors on; still exported from the module's entry point, as before.
export { hasTwoFactor };

const normalizeRecoveryCode = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Two-factor authentication: the second step of a sign-in here, the owner's
 * enrollment, disabling and recovery codes in enrollment.ts. Both check
 * factors through the same verifySecondFactor, so the lockout counts every try.
 */
export function createTwoFactorService(deps: TwoFactorDeps) {
  const { users, twoFactor: repo, completion, codes, passkeys, secrets, outbox, clock } = deps;

  const recoveryHash = (userId: number, code: string) =>
    secrets.mac('recovery-code', `${userId}:${normalizeRecoveryCode(code)}`);

  async function loadUser(userId: number): Promise<UserRow> {
    const user = await users.findUserById(userId);
    if (!user) throw new AppError('UNAUTHORIZED');
    return user;
  }

  async function methodsOf(user: UserRow): Promise<string[]> {
    const methods: string[] = [];
    if (user.totpEnabledAt) methods.push('totp');
    if (user.smsMfaEnabledAt) methods.push('sms');
    if ((await passkeys.countPasskeys(user.id)) > 0) methods.push('passkey');
    if ((await repo.countUnusedRecoveryCodes(user.id)) > 0) methods.push('recovery_code');
    return methods;
  }

  function smsSend(user: UserRow) {
    if (!user.phoneNumber || !user.phoneVerifiedAt) throw new AppError('PHONE_NOT_VERIFIED');
    return { channel: 'sms' as const, purpose: 'two_factor' as const, destination: user.phoneNumber };
  }

  async function textCode(user: UserRow, phoneNumber: string): Promise<string> {
    const code = await codes.issueCode({ userId: user.id, purpose: 'two_factor', channel: 'sms' }, phoneNumber);
    await outbox.enqueue(secondFactorSms(phoneNumber, code));
    return code;
  }

  /** Texts a second-factor code, or refuses with 429 inside the cooldown. */
  async function sendSmsCode(user: UserRow): Promise<string> {
    const send = smsSend(user);
    await codes.reserveSend(send);
    return textCode(user, send.destination);
  }

  /**
   * Checks an enabled second factor. Every attempt is counted before the
   * check (atomically), and ten failures in a row lock it for 15 minutes.
   */
  async function verifySecondFactor(user: UserRow, factor: SecondFactor, mfaChallengeId?: string): Promise<string> {
    const now = clock.now();
    const failures = await repo.reserveAttempt(user.id, failureLimit, now);
    if (failures === null) {
      const retryAfterSeconds = user.mfaLockedUntil
        ? Math.max(1, Math.ceil((user.mfaLockedUntil.getTime() - now.getTime()) / 1000))
        : lockSeconds;
      throw new AppError('MFA_LOCKED', { retryAfterSeconds });
    }
    const method = await checkFactor(user, factor, now, mfaChallengeId);
    if (method) {
      await repo.resetAttempts(user.id);
      return method;
    }
    if (failures >= failureLimit) await repo.lockSecondFactor(user.id, addSeconds(now, lockSeconds));
    throw new AppError('MFA_CODE_INVALID');
  }

  async function checkFactor(
    user: UserRow,
    factor: SecondFactor,
    now: Date,
    mfaChallengeId: string | undefined,
  ): Promise<string | null> {
    if (factor.passkey) {
      // Only a sign-in's own challenge can be answered with a passkey; a wrong one counts as a failed attempt.
      if (!mfaChallengeId) return null;
      const { challengeId, response } = factor.passkey;
      const used = await passkeys
        .verifyAssertion(challengeId, 'second_factor', response, { userId: user.id, mfaChallengeId })
        .catch((error: unknown) => {
          if (error instanceof AppError) return null;
          throw error;
        });
      return used ? 'passkey' : null;
    }
    if (factor.recoveryCode) {
      return (await repo.consumeRecoveryCode(user.id, recoveryHash(user.id, factor.recoveryCode), now))
        ? 'recovery_code'
        : null;
    }
    if (!factor.code) return null;
    const wantsSms = factor.method === 'sms' || (!factor.method && !user.totpEnabledAt);
    if (wantsSms && user.smsMfaEnabledAt) {
      try {
        await codes.consumeCode({ userId: user.id, purpose: 'two_factor', channel: 'sms' }, factor.code);
        return 'sms';
      } catch {
        return null;
      }
    }
    const secret = user.totpSecretEncrypted ? secrets.decrypt(totpSecretPurpose, user.totpSecretEncrypted) : null;
    const step = secret ? matchTotpStep(secret, factor.code, now) : null;
    // The same time step is never accepted twice, even by two requests at once.
    return step !== null && (await repo.claimTotpStep(user.id, step)) ? 'totp' : null;
  }

  const enrollment = createTwoFactorEnrollment({ ...deps, loadUser, verifySecondFactor, sendSmsCode, recoveryHash });

  return {
    /**
     * Called after a correct first factor. A user with 2FA gets a challenge
     * instead of tokens; no session exists until the second step succeeds.
     */
    async challengeIfRequired(user: UserRow, device: DeviceInfo, client: ClientContext, method: LoginMethod) {
      if (!hasTwoFactor(user)) return null;
      const mfaToken = randomToken();
      const now = clock.now();
      await repo.insertChallenge({
        id: randomUUID(),
        userId: user.id,
        tokenHash: sha256Hex(mfaToken),
        method,
        deviceInfo: device,
        ipAddress: client.ipAddress,
        createdAt: now,
        expiresAt: addSeconds(now, challengeTtlSeconds),
      });
      // A cooldown must not stop the sign-in: the code is texted when allowed, else asked for on the next page.
      if (user.smsMfaEnabledAt && !user.totpEnabledAt) {
        const send = smsSend(user);
        if ((await codes.tryReserveSend(send)) === null) await textCode(user, send.destination);
      }
      return { mfaRequired: true as const, mfaToken, methods: await methodsOf(user), expiresIn: challengeTtlSeconds };
    },

    /** A new SMS code for a pending sign-in challenge (the first went out with the challenge, or not at all). */
    async resendChallengeSms(mfaToken: string) {
      const challenge = await repo.findChallengeByHash(sha256Hex(mfaToken));
      if (!challenge || challenge.consumedAt || challenge.expiresAt <= clock.now())
        throw new AppError('MFA_TOKEN_INVALID');
      const user = await loadUser(challenge.userId);
      if (!user.smsMfaEnabledAt) throw new AppError('TWO_FACTOR_NOT_ENABLED');
      await sendSmsCode(user);
      return { message: 'A new code was sent by SMS' };
    },

    /** Request options to answer a pending sign-in challenge with one of the account's passkeys. */
    async passkeyOptions(mfaToken: string) {
      const challenge = await repo.findChallengeByHash(sha256Hex(mfaToken));
      if (!challenge || challenge.consumedAt || challenge.expiresAt <= clock.now())
        throw new AppError('MFA_TOKEN_INVALID');
      return passkeys.assertionOptions('second_factor', await passkeys.allowedFor(challenge.userId), {
        userId: challenge.userId,
        mfaChallengeId: challenge.id,
      });
    },

    /** The second factors a pending challenge accepts; null when it is unknown, spent or expired. */
    async challengeMethods(mfaToken: string): Promise<string[] | null> {
      const challenge = await repo.findChallengeByHash(sha256Hex(mfaToken));
      if (!challenge || challenge.consumedAt || challenge.expiresAt <= clock.now()) return null;
      const user = await users.findUserById(challenge.userId);
      return user ? methodsOf(user) : null;
    },

    /** Second step of a sign-in: the challenge is spent once, for the device that started it. */
    async completeChallenge(
      mfaToken: string,
      factor: SecondFactor,
      device: DeviceInfo | undefined,
      client: ClientContext,
    ) {
      const challenge = await repo.findChallengeByHash(sha256Hex(mfaToken));
      const now = clock.now();
      if (!challenge || challenge.consumedAt || challenge.expiresAt <= now) throw new AppError('MFA_TOKEN_INVALID');
      const startedOn = challenge.deviceInfo as DeviceInfo;
      if (startedOn.deviceId && device?.deviceId !== startedOn.deviceId) throw new AppError('MFA_TOKEN_INVALID');
      const user = await users.findUserById(challenge.userId);
      if (!user) throw new AppError('MFA_TOKEN_INVALID');
      try {
        await verifySecondFactor(user, factor, challenge.id);
      } catch (error) {
        await completion.recordFailure(
          user.id,
          startedOn,
          client,
          'mfa',
          (error as AppError).code ?? 'MFA_CODE_INVALID',
        );
        throw error;
      }
      if (!(await repo.claimChallenge(challenge.id, now))) throw new AppError('MFA_TOKEN_INVALID');
      return completion.complete(user, startedOn, client, 'mfa');
    },

    ...enrollment,
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
