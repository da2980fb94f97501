import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Principal } from '../../core/account.js';
import { AppError } from '../../errors.js';
import type { Emails } from '../../messages/emails.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import { randomToken, sha256Hex } from '../../platform/secrets.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { LockoutService } from '../lockout/service.js';
import type { OneTimeCodeService } from '../one-time-codes/service.js';
import type { SessionService } from '../sessions/service.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRepository } from '../users/repository.js';
import type { PasswordResetRepository } from './repository.js';

interface Deps {
  users: UserRepository;
  resets: PasswordResetRepository;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  codes: OneTimeCodeService;
  sessions: SessionService;
  lockout: LockoutService;
  outbox: Outbox;
  emails: Emails;
  audit: AuditRecorder;
  clock: Clock;
  config: Pick<Config, 'publicUrl' | 'passwordResetTtlSeconds'>;
}

const requestedMessage = 'If an account uses this address, a reset link has been sent to it.';

export function createPasswordService({
  users,
  resets,
  hasher,
  passwordPolicy,
  codes,
  sessions,
  lockout,
  outbox,
  emails,
  audit,
  clock,
  config,
}: Deps) {
  function checkPolicy(password: string): void {
    if (passwordPolicy.check(password)) throw new AppError('PASSWORD_TOO_COMMON');
  }

  return {
    /** The same answer for every address, so it cannot be used to find accounts. */
    async requestReset(rawEmail: string) {
      const email = normalizeEmail(rawEmail);
      await codes.reserveSend({ channel: 'email', purpose: 'password_reset', destination: email });
      const user = await users.findUserByEmail(email);
      if (!user) return { message: requestedMessage };
      const token = randomToken();
      const now = clock.now();
      await resets.replaceReset({
        id: randomUUID(),
        userId: user.id,
        tokenHash: sha256Hex(token),
        createdAt: now,
        expiresAt: addSeconds(now, config.passwordResetTtlSeconds),
      });
      // The link is built from configuration, never from the request's Host header.
      const link = `${config.publicUrl}/reset-password?token=${encodeURIComponent(token)}`;
      await outbox.enqueue(emails.passwordReset(email, link, token, config.passwordResetTtlSeconds));
      await audit.record('password.reset_requested', { actorUserId: null, targetUserId: user.id });
      return { message: requestedMessage };
    },

    /** Sets a new password and signs out every device; it does not sign the caller in. */
    async resetPassword(token: string, newPassword: string) {
      checkPolicy(newPassword);
      const reset = await resets.findResetByHash(sha256Hex(token));
      const now = clock.now();
      if (!reset || reset.usedAt || reset.supersededAt) throw new AppError('RESET_TOKEN_INVALID');
      if (reset.expiresAt <= now) throw new AppError('RESET_TOKEN_EXPIRED');
      const user = await users.findUserById(reset.userId);
      if (!user) throw new AppError('RESET_TOKEN_INVALID');
      const passwordHash = await hasher.hash(newPassword);
      if (!(await resets.claimReset(reset.id, now))) throw new AppError('RESET_TOKEN_INVALID');
      await users.updatePasswordHash(user.id, passwordHash, now);
      // The link reached the mailbox, which proves the address as well as a code would.
      if (!user.emailVerifiedAt) await users.markEmailVerified(user.id, now);
      await sessions.endAllSessions(user.id, { actorUserId: user.id, reason: 'password_reset' });
      // The owner proved the mailbox: a brute-force pause on the address no longer protects anyone.
      await lockout.clear(user.email);
      await outbox.enqueue(emails.passwordChanged(user.email, 'reset', now));
      await audit.record('password.reset', { actorUserId: user.id, targetUserId: user.id });
      return { message: 'Password reset. Sign in with the new password.' };
    },

    /** Needs the current password; keeps the current session and ends the others. */
    async changePassword(principal: Principal, currentPassword: string, newPassword: string) {
      const user = await users.findUserById(principal.userId);
      if (!user) throw new AppError('UNAUTHORIZED');
      if (!(await hasher.verify(user.passwordHash, currentPassword))) throw new AppError('INVALID_PASSWORD');
      checkPolicy(newPassword);
      const now = clock.now();
      await users.updatePasswordHash(user.id, await hasher.hash(newPassword), now);
      await sessions.endAllSessions(user.id, {
        actorUserId: user.id,
        reason: 'password_changed',
        keepSessionId: principal.sessionId,
      });
      await outbox.enqueue(emails.passwordChanged(user.email, 'change', now));
      await audit.record('password.changed', { actorUserId: user.id, targetUserId: user.id });
      return { message: 'Password changed. Your other devices were signed out.' };
    },
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
