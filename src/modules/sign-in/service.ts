import type { Database } from '../../db/database.js';
import { AppError } from '../../errors.js';
import type { PasswordHasher } from '../../platform/password.js';
import { type ClientContext, type DeviceInfo, isLocked } from '../sessions/service.js';
import type { TwoFactorService } from '../two-factor/service.js';
import { normalizeEmail } from '../users/email.js';
import { createUserRepository } from '../users/repository.js';
import { completeSignIn, recordFailedSignIn, type SignInDeps } from './complete-sign-in.js';

export interface PasswordSignIn {
  email: string;
  password: string;
  deviceInfo?: DeviceInfo | undefined;
}

interface Deps extends SignInDeps {
  db: Database;
  hasher: PasswordHasher;
  twoFactor: TwoFactorService;
}

export function createSignInService(deps: Deps) {
  const { db, hasher, twoFactor, clock } = deps;
  const users = createUserRepository(db);

  async function refuse(
    userId: number | null,
    input: PasswordSignIn,
    client: ClientContext,
    error: AppError,
  ): Promise<never> {
    await recordFailedSignIn(deps, userId, input.deviceInfo ?? {}, client, 'password', error.code);
    throw error;
  }

  return {
    /**
     * Password first, then account state: lock and verification status are
     * revealed only to someone who already knows the password.
     */
    async signInWithPassword(input: PasswordSignIn, client: ClientContext) {
      const user = await users.findUserByEmail(normalizeEmail(input.email));
      if (!user) {
        // Same cost as a real check, so response time does not reveal unknown addresses.
        await hasher.decoyVerify(input.password);
        return refuse(null, input, client, new AppError('INVALID_CREDENTIALS'));
      }
      if (!(await hasher.verify(user.passwordHash, input.password))) {
        return refuse(user.id, input, client, new AppError('INVALID_CREDENTIALS'));
      }
      const now = clock.now();
      if (hasher.needsRehash(user.passwordHash)) {
        // Parameters were raised since this hash was made; the password is at hand now.
        await users.updatePasswordHash(user.id, await hasher.hash(input.password), now);
      }
      if (isLocked(user, now)) {
        const retryAfterSeconds = user.lockedUntil
          ? Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000)
          : undefined;
        return refuse(user.id, input, client, new AppError('ACCOUNT_LOCKED', { retryAfterSeconds }));
      }
      if (!user.emailVerifiedAt) return refuse(user.id, input, client, new AppError('EMAIL_NOT_VERIFIED'));
      const device = input.deviceInfo ?? {};
      return (
        (await twoFactor.challengeIfRequired(user, device, client, 'password')) ??
        completeSignIn(deps, user, device, client, 'password')
      );
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
