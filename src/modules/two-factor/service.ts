import { randomBytes, randomUUID } from 'node:crypto';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { Config } from '../../config.js';
import type { Principal } from '../../core/account.js';
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
import type { TwoFactorRepository } from './repository.js';
import { describeTotpSecret, generateTotpSecret, matchTotpStep } from './totp.js';

interface Deps {
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
const recoveryCodeCount = 10;
const secretPurpose = 'totp-secret';

export const hasTwoFactor = (user: UserRow) => user.totpEnabledAt !== null || user.smsMfaEnabledAt !== null;

/** Recovery codes: 10 characters from an alphabet without look-alikes, shown as two groups. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const characters = [...randomBytes(10)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `${characters.slice(0, 5)}-${characters.slice(5)}`;
}

const normalizeRecoveryCode = (code: string) => code.toLowerCase().replace(/[^a-z0-9]/g, '');

export function createTwoFactorService({
  users,
  twoFactor: repo,
  completion,
  codes,
  passkeys,
  hasher,
  secrets,
  outbox,
  emails,
  audit,
  clock,
  config,
}: Deps) {
  const recoveryHash = (userId: number, code: string) =>
    secrets.mac('recovery-code', `${userId}:${normalizeRecoveryCode(code)}`);

  async function loadUser(userId: number): Promise<UserRow> {
    const user = await users.findUserById(userId);
    if (!user) throw new AppError('UNAUTHORIZED');
    return user;
  }

  async function confirmPassword(user: UserRow, password: string): Promise<void> {
    if (!(await hasher.verify(user.passwordHash, password))) throw new AppError('INVALID_PASSWORD');
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
    const secret = user.totpSecretEncrypted ? secrets.decrypt(secretPurpose, user.totpSecretEncrypted) : null;
    const step = secret ? matchTotpStep(secret, factor.code, now) : null;
    // The same time step is never accepted twice, even by two requests at once.
    return step !== null && (await repo.claimTotpStep(user.id, step)) ? 'totp' : null;
  }

  async function issueRecoveryCodes(userId: number): Promise<string[]> {
    const fresh = Array.from({ length: recoveryCodeCount }, newRecoveryCode);
    await repo.replaceRecoveryCodes(
      userId,
      fresh.map((code) => recoveryHash(userId, code)),
      fresh.map(() => randomUUID()),
      clock.now(),
    );
    return fresh;
  }

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

    async beginEnrollment(principal: Principal, method: 'totp' | 'sms', password: string) {
      const user = await loadUser(principal.userId);
      await confirmPassword(user, password);
      if (method === 'totp') {
        if (user.totpEnabledAt) throw new AppError('TWO_FACTOR_ALREADY_ENABLED');
        const secret = generateTotpSecret();
        await repo.setPendingTotpSecret(user.id, secrets.encrypt(secretPurpose, secret), clock.now());
        return {
          method,
          message: 'Add the secret to an authenticator app, then confirm with a code at POST /auth/2fa/verify',
          ...(await describeTotpSecret(secret, user.email)),
        };
      }
      if (user.smsMfaEnabledAt) throw new AppError('TWO_FACTOR_ALREADY_ENABLED');
      const code = await sendSmsCode(user);
      return {
        method,
        message: 'A code was sent by SMS; confirm it at POST /auth/2fa/verify',
        ...(config.exposeOtp ? { otp: code } : {}),
      };
    },

    /** The authenticator-app secret waiting for its first code, to show again; null when none is pending. */
    async pendingTotp(principal: Principal) {
      const user = await loadUser(principal.userId);
      const secret = user.totpPendingSecretEncrypted
        ? secrets.decrypt(secretPurpose, user.totpPendingSecretEncrypted)
        : null;
      return secret ? describeTotpSecret(secret, user.email) : null;
    },

    /** Confirms enrollment with a first code and returns the recovery codes, once. */
    async confirmEnrollment(principal: Principal, factor: SecondFactor) {
      const user = await loadUser(principal.userId);
      if (!factor.code) throw new AppError('VALIDATION_FAILED', { message: 'Invalid input: code is required' });
      const smsPossible = user.phoneVerifiedAt !== null && user.smsMfaEnabledAt === null;
      const method = factor.method ?? (user.totpPendingSecretEncrypted ? 'totp' : smsPossible ? 'sms' : null);
      if (!method) throw new AppError('TWO_FACTOR_NOT_PENDING');
      const now = clock.now();
      if (method === 'totp') {
        const secret = user.totpPendingSecretEncrypted
          ? secrets.decrypt(secretPurpose, user.totpPendingSecretEncrypted)
          : null;
        if (!secret || !user.totpPendingSecretEncrypted) throw new AppError('TWO_FACTOR_NOT_PENDING');
        const step = matchTotpStep(secret, factor.code, now);
        if (step === null) throw new AppError('MFA_CODE_INVALID');
        await repo.enableTotp(user.id, user.totpPendingSecretEncrypted, step, now);
      } else {
        if (user.smsMfaEnabledAt) throw new AppError('TWO_FACTOR_ALREADY_ENABLED');
        try {
          await codes.consumeCode({ userId: user.id, purpose: 'two_factor', channel: 'sms' }, factor.code);
        } catch {
          throw new AppError('MFA_CODE_INVALID');
        }
        await repo.enableSms(user.id, now);
      }
      // A second method keeps the recovery codes the user already saved.
      const recoveryCodes = hasTwoFactor(user) ? [] : await issueRecoveryCodes(user.id);
      await outbox.enqueue(emails.twoFactorChanged(user.email, 'enabled', method, now));
      await audit.record('two_factor.enabled', { actorUserId: user.id, targetUserId: user.id, details: { method } });
      return {
        message: `Two-factor authentication (${method}) is on`,
        recoveryCodes,
      };
    },

    /** Needs the password and a current second factor: a stolen session alone cannot turn 2FA off. */
    async disable(principal: Principal, password: string, factor: SecondFactor) {
      const user = await loadUser(principal.userId);
      await confirmPassword(user, password);
      if (!hasTwoFactor(user)) throw new AppError('TWO_FACTOR_NOT_ENABLED');
      await verifySecondFactor(user, factor);
      const now = clock.now();
      await repo.disableAll(user.id, now);
      await outbox.enqueue(emails.twoFactorChanged(user.email, 'disabled', 'all methods', now));
      await audit.record('two_factor.disabled', { actorUserId: user.id, targetUserId: user.id });
      return { message: 'Two-factor authentication is off' };
    },

    async regenerateRecoveryCodes(principal: Principal, password: string) {
      const user = await loadUser(principal.userId);
      await confirmPassword(user, password);
      if (!hasTwoFactor(user)) throw new AppError('TWO_FACTOR_NOT_ENABLED');
      const recoveryCodes = await issueRecoveryCodes(user.id);
      await audit.record('two_factor.recovery_codes_regenerated', { actorUserId: user.id, targetUserId: user.id });
      return { message: 'New recovery codes; the old ones no longer work', recoveryCodes };
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
