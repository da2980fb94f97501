import type { ClientContext, DeviceInfo } from '../../core/client.js';
import { AppError } from '../../errors.js';
import type { Clock } from '../../platform/clock.js';
import type { PasswordHasher } from '../../platform/password.js';
import type { DeviceService } from '../devices/service.js';
import type { LockoutService } from '../lockout/service.js';
import type { SignInCompletion } from '../sign-in-completion/service.js';
import type { TwoFactorService } from '../two-factor/service.js';
import { normalizeEmail } from '../users/email.js';
import type { UserRepository } from '../users/repository.js';

export interface PasswordSignIn {
  email: string;
  password: string;
  deviceInfo?: DeviceInfo | undefined;
}

interface Deps {
  users: UserRepository;
  devices: DeviceService;
  lockout: LockoutService;
  twoFactor: TwoFactorService;
  completion: SignInCompletion;
  hasher: PasswordHasher;
  clock: Clock;
}

export function createSignInService({ users, devices, lockout, twoFactor, completion, hasher, clock }: Deps) {
  async function refuse(
    userId: number | null,
    input: PasswordSignIn,
    client: ClientContext,
    error: AppError,
  ): Promise<never> {
    await completion.recordFailure(userId, input.deviceInfo ?? {}, client, 'password', error.code);
    throw error;
  }

  return {
    /**
     * Password first, then account state: lock and verification status are
     * revealed only to someone who already knows the password.
     */
    async signInWithPassword(input: PasswordSignIn, client: ClientContext) {
      const device = input.deviceInfo ?? {};
      await devices.assertAllowed(device.deviceId);
      // Counted before the password is checked, the same way for every address.
      const attempt = await lockout.beforeAttempt(input.email);
      const user = await users.findUserByEmail(normalizeEmail(input.email));
      const passwordOk = user
        ? await hasher.verify(user.passwordHash, input.password)
        : // Same cost as a real check, so response time does not reveal unknown addresses.
          await hasher.decoyVerify(input.password).then(() => false);
      if (!user || !passwordOk) {
        await lockout.recordFailure(input.email, user);
        return refuse(user?.id ?? null, input, client, new AppError('INVALID_CREDENTIALS'));
      }
      await lockout.recordSuccess(input.email);
      const now = clock.now();
      if (user.passwordHash && hasher.needsRehash(user.passwordHash)) {
        // Parameters were raised since this hash was made; the password is at hand now.
        await users.updatePasswordHash(user.id, await hasher.hash(input.password), now);
      }
      await completion.assertCanSignIn(user, device, client, 'password');
      return (
        (await twoFactor.challengeIfRequired(user, device, client, 'password')) ??
        completion.complete(user, device, client, 'password', { failuresBefore: attempt.failuresBefore })
      );
    },
  };
}

export type SignInService = ReturnType<typeof createSignInService>;
