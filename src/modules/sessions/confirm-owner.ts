import type { Principal } from '../../core/account.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { PasswordHasher } from '../../platform/password.js';
import type { UserRepository } from '../users/repository.js';
import type { SessionRepository } from './repository.js';

const freshSignInSeconds = 300;

/**
 * Adding or removing a way into the account (a passkey, a linked identity)
 * needs the password, or a sign-in of the last five minutes, so a session
 * left open (or a stolen token) is not enough.
 */
export function createOwnerConfirmation(deps: {
  users: UserRepository;
  sessions: SessionRepository;
  hasher: PasswordHasher;
  clock: Clock;
}) {
  const { users, sessions, hasher, clock } = deps;
  return async function confirmOwner(principal: Principal, password: string | undefined): Promise<void> {
    if (password !== undefined) {
      const user = await users.findUserById(principal.userId);
      if (!user || !(await hasher.verify(user.passwordHash, password))) throw new AppError('INVALID_PASSWORD');
      return;
    }
    const session = await sessions.findSession(principal.sessionId);
    const ageSeconds = session
      ? (clock.now().getTime() - session.createdAt.getTime()) / 1000
      : Number.POSITIVE_INFINITY;
    if (ageSeconds > freshSignInSeconds) throw new AppError('REAUTHENTICATION_REQUIRED');
  };
}

export type ConfirmOwner = ReturnType<typeof createOwnerConfirmation>;
