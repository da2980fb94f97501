import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import { addSeconds, type Clock } from '../../platform/clock.js';
import type { Outbox } from '../../platform/outbox.js';
import type { PasswordHasher, PasswordPolicy } from '../../platform/password.js';
import { randomToken, sha256Hex } from '../../platform/secrets.js';
import type { AuditRepository } from '../audit/repository.js';
import type { LockoutService } from '../lockout/service.js';
import type { OneTimeCodeService } from '../one-time-codes/service.js';
import type { ClientContext, Principal, SessionService } from '../sessions/service.js';
import { normalizeEmail } from '../users/email.js';
import { createUserRepository } from '../users/repository.js';
import { passwordChangedEmail, passwordResetEmail } from './emails.js';
import { createPasswordResetRepository } from './repository.js';

interface Deps {
  db: Database;
  hasher: PasswordHasher;
  passwordPolicy: PasswordPolicy;
  codes: OneTimeCodeService;
  sessions: SessionService;
  lockout: LockoutService;
  outbox: Outbox;
  audit: AuditRepository;
  clock: Clock;
  config: Pick<Config, 'publicUrl' | 'passwordResetTtlSeconds'>;
}

const requestedMessage = 'If an account uses this address, a reset link has been sent to it.';

export function createPasswordService(deps: Deps) {
  const { db, hasher, passwordPolicy, codes, sessions, lockout, outbox, audit, clock, config } = deps;
  const users = createUserRepository(db);
  const resets = createPasswordResetRepository(db);

  function checkPolicy(password: string): void {
    if (passwordPolicy.check(password)) throw new AppError('PASSWORD_TOO_COMMON');
  }

  return {
    /** The same answer for every address, so it cannot be used to find accounts. */
    async requestReset(rawEmail: string, client: ClientContext) {
      const email = normalizeEmail(rawEmail);
      await codes.reserveSend('email', `password-reset:${email}`);
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
      await outbox.enqueue('email', passwordResetEmail(email, link, token, config.passwordResetTtlSeconds));
      await audit.insertAuditEvent({
        action: 'password.reset_requested',
        targetUserId: user.id,
        ipAddress: client.ipAddress,
        createdAt: now,
      });
      return { message: requestedMessage };
    },

    /** Sets a new password and signs out every device; it does not sign the caller in. */
    async resetPassword(token: string, newPassword: string, client: ClientContext) {
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
      await sessions.endAllSessions(user.id, { actorUserId: user.id, reason: 'password_reset' }, client);
      // The owner proved the mailbox: a brute-force pause on the address no longer protects anyone.
      await lockout.clear(user.email);
      await outbox.enqueue('email', passwordChangedEmail(user.email, 'reset', now));
      await audit.insertAuditEvent({
        action: 'password.reset',
        actorUserId: user.id,
        targetUserId: user.id,
        ipAddress: client.ipAddress,
        createdAt: now,
      });
      return { message: 'Password reset. Sign in with the new password.' };
    },

    /** Needs the current password; keeps the current session and ends the others. */
    async changePassword(principal: Principal, currentPassword: string, newPassword: string, client: ClientContext) {
      const user = await users.findUserById(principal.userId);
      if (!user) throw new AppError('UNAUTHORIZED');
      if (!(await hasher.verify(user.passwordHash, currentPassword))) throw new AppError('INVALID_PASSWORD');
      checkPolicy(newPassword);
      const now = clock.now();
      await users.updatePasswordHash(user.id, await hasher.hash(newPassword), now);
      await sessions.endAllSessions(
        user.id,
        { actorUserId: user.id, reason: 'password_changed', keepSessionId: principal.sessionId },
        client,
      );
      await outbox.enqueue('email', passwordChangedEmail(user.email, 'change', now));
      await audit.insertAuditEvent({
        action: 'password.changed',
        actorUserId: user.id,
        targetUserId: user.id,
        ipAddress: client.ipAddress,
        createdAt: now,
      });
      return { message: 'Password changed. Your other devices were signed out.' };
    },
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
