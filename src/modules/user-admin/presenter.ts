import { isLocked } from '../../core/account.js';
import { presentUser } from '../users/presenter.js';
import type { UserRow } from '../users/repository.js';

export function presentManagedUser(user: UserRow, roles: string[], now: Date) {
  return {
    ...presentUser(user, roles),
    locked: isLocked(user, now),
    lockedUntil: user.lockedUntil && user.lockedUntil > now ? user.lockedUntil.toISOString() : null,
    lockReason: isLocked(user, now) ? user.lockReason : null,
  };
}
