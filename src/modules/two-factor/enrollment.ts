import { randomBytes, randomUUID } from 'node:crypto';
import type { Principal } from '../../core/account.js';
import { AppError } from '../../errors.js';
import type { UserRow } from '../users/repository.js';
import type { SecondFactor, TwoFactorDeps } from './service.js';
import { describeTotpSecret, generateTotpSecret, matchTotpStep } from './totp.js';

interface Deps
  extends Pick<
    TwoFactorDeps,
    'twoFactor' | 'codes' | 'hasher' | 'secrets' | 'outbox' | 'emails' | 'audit' | 'clock' | 'config'
  > {
  // From service.ts, so disabling and sign-in check factors against one lockout counter, and codes are sent and hashed one way.
  loadUser: (userId: number) => Promise<UserRow>;
  verifySecondFactor: (user: UserRow, factor: SecondFactor) => Promise<string>;
  sendSmsCode: (user: UserRow) => Promise<string>;
  recoveryHash: (userId: number, code: string) => string;
}

const recoveryCodeCount = 10;
// The sign-in step in service.ts decrypts with the same purpose what enrollment encrypts.
export const totpSecretPurpose = 'totp-secret';

export const hasTwoFactor = (user: UserRow) => user.totpEnabledAt !== null || user.smsMfaEnabledAt !== null;

/** Recovery codes: 10 characters from an alphabet without look-alikes, shown as two groups. */
function newRecoveryCode(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const characters = [...randomBytes(10)].map((byte) => alphabet[byte % alphabet.length]).join('');
  return `${characters.slice(0, 5)}-${characters.slice(5)}`;
}

/**
 * The signed-in owner's side of 2FA: turning factors on and off and replacing
 * the recovery codes. Answering a sign-in's challenge is in service.ts.
 */
export function createTwoFactorEnrollment(deps: Deps) {
  const { twoFactor: repo, codes, hasher, secrets, outbox, emails, audit, clock, config } = deps;
  const { loadUser, verifySecondFactor, sendSmsCode, recoveryHash } = deps;

  async function confirmPassword(user: UserRow, password: string): Promise<void> {
    if (!(await hasher.verify(user.passwordHash, password))) throw new AppError('INVALID_PASSWORD');
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
    async beginEnrollment(principal: Principal, method: 'totp' | 'sms', password: string) {
      const user = await loadUser(principal.userId);
      await confirmPassword(user, password);
      if (method === 'totp') {
        if (user.totpEnabledAt) throw new AppError('TWO_FACTOR_ALREADY_ENABLED');
        const secret = generateTotpSecret();
        await repo.setPendingTotpSecret(user.id, secrets.encrypt(totpSecretPurpose, secret), clock.now());
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
        ? secrets.decrypt(totpSecretPurpose, user.totpPendingSecretEncrypted)
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
          ? secrets.decrypt(totpSecretPurpose, user.totpPendingSecretEncrypted)
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
