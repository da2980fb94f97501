import type { RoleRepository } from './repository.js';

/**
 * Whether taking SUPER_ADMIN away from `userId` (removing the role, or
 * deleting the account) would leave nobody who can sign in as one. Holders
 * who are locked do not count: they could not undo the change. Called inside
 * a transaction, it takes the lock that makes such changes take turns, so two
 * administrators demoting each other at once cannot both succeed.
 */
export async function wouldRemoveLastSuperAdmin(roles: RoleRepository, userId: number, now: Date): Promise<boolean> {
  await roles.lockSuperAdminChanges();
  if (!(await roles.holdsRole(userId, 'SUPER_ADMIN'))) return false;
  return (await roles.countActiveHolders('SUPER_ADMIN', userId, now)) === 0;
}
