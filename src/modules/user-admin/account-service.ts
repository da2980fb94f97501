import type { Actor } from '../../core/account.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { LockoutService } from '../lockout/service.js';
import type { SessionService } from '../sessions/service.js';
import type { UserRepository } from '../users/repository.js';
import type { UserAdminService } from './service.js';

interface Deps {
  users: UserRepository;
  userAdmin: UserAdminService;
  sessions: SessionService;
  lockout: LockoutService;
  audit: AuditRecorder;
  clock: Clock;
}

export interface LockRequest {
  reason?: string | undefined;
  until?: string | undefined;
}

/** Administrator actions on an account as a whole: lock, unlock, sign out everywhere. */
export function createAccountAdminService({ users, userAdmin, sessions, lockout, audit, clock }: Deps) {
  async function loadManagedTarget(actor: Actor, targetUserId: number, permission: string) {
    // These permissions have no `_own` variant: the same name is passed for both.
    const target = await userAdmin.loadTarget(actor, targetUserId, permission, permission);
    userAdmin.guardSuperAdmin(actor, target.roleNames);
    return target;
  }

  return {
    /** Locks the account and ends its sessions; the lock is checked on every request and refresh. */
    async lockUser(actor: Actor, targetUserId: number, request: LockRequest) {
      if (targetUserId === actor.userId) {
        throw new AppError('VALIDATION_FAILED', { message: 'You cannot lock your own account' });
      }
      const { roleNames } = await loadManagedTarget(actor, targetUserId, 'user.lock');
      const now = clock.now();
      const until = request.until ? new Date(request.until) : null;
      if (until && until <= now) throw new AppError('VALIDATION_FAILED', { message: 'until must be in the future' });
      const locked = await users.updateLock(
        targetUserId,
        { lockedAt: now, lockedUntil: until, lockReason: request.reason ?? null },
        now,
      );
      if (!locked) throw new AppError('USER_NOT_FOUND');
      await sessions.endAllSessions(targetUserId, { actorUserId: actor.userId, reason: 'account_locked' });
      await audit.record('user.locked', {
        actorUserId: actor.userId,
        targetUserId,
        details: { reason: request.reason ?? null, until: until?.toISOString() ?? null },
      });
      return userAdmin.present(locked, roleNames);
    },

    async unlockUser(actor: Actor, targetUserId: number) {
      const { roleNames } = await loadManagedTarget(actor, targetUserId, 'user.lock');
      const now = clock.now();
      const unlocked = await users.updateLock(
        targetUserId,
        { lockedAt: null, lockedUntil: null, lockReason: null },
        now,
      );
      if (!unlocked) throw new AppError('USER_NOT_FOUND');
      // Unlock also lifts a brute-force pause: both are "this account may sign in again".
      await lockout.clear(unlocked.email);
      await audit.record('user.unlocked', { actorUserId: actor.userId, targetUserId });
      return userAdmin.present(unlocked, roleNames);
    },

    /** Ends one of the user's sessions (the console's devices list); the same permission as signing them out everywhere. */
    async signOutSession(actor: Actor, targetUserId: number, sessionId: string) {
      await loadManagedTarget(actor, targetUserId, 'session.revoke_all');
      const ended = await sessions.endSession({ userId: targetUserId, sessionId }, 'revoked_by_admin', actor.userId);
      if (!ended) throw new AppError('SESSION_NOT_FOUND');
      return { message: 'Session ended' };
    },

    async signOutEverywhere(actor: Actor, targetUserId: number) {
      await loadManagedTarget(actor, targetUserId, 'session.revoke_all');
      const count = await sessions.endAllSessions(targetUserId, {
        actorUserId: actor.userId,
        reason: 'revoked_by_admin',
      });
      return { message: `Ended ${count} session${count === 1 ? '' : 's'}` };
    },
  };
}

export type AccountAdminService = ReturnType<typeof createAccountAdminService>;
