import type { Principal } from '../../core/account.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { ConfirmOwner } from '../sessions/confirm-owner.js';
import type { UserRepository } from '../users/repository.js';
import type { ProviderRegistry } from './providers.js';
import type { FederationRepository } from './repository.js';

interface Deps {
  federation: FederationRepository;
  users: UserRepository;
  transaction: Transaction<{ federation: FederationRepository; users: UserRepository }>;
  providers: ProviderRegistry;
  confirmOwner: ConfirmOwner;
  audit: AuditRecorder;
}

/** An account's linked identities, as its owner sees and manages them (the account page and the API). */
export function createLinkedIdentities(deps: Deps) {
  const { federation, users, transaction, providers, confirmOwner, audit } = deps;

  return {
    /** Whether linking may ask for a password: an account made by a provider has none until its owner sets one. */
    async hasPassword(userId: number): Promise<boolean> {
      return (await users.findUserById(userId))?.passwordHash != null;
    },

    async listIdentities(userId: number) {
      const names = new Map((await providers.list()).map((provider) => [provider.id, provider.name]));
      return (await federation.listIdentities(userId)).map((identity) => ({
        id: identity.id,
        provider: identity.provider,
        providerName: names.get(identity.provider) ?? identity.provider,
        email: identity.email,
        createdAt: identity.createdAt.toISOString(),
        lastUsedAt: identity.lastUsedAt?.toISOString() ?? null,
      }));
    },

    /**
     * Removes a linked identity unless it is the account's last way in
     * (no password, no passkey, no other identity). Like removing a passkey,
     * it needs the password or a sign-in of the last 5 minutes.
     */
    async unlink(principal: Principal, identityId: string, password: string | undefined): Promise<void> {
      const { userId } = principal;
      await confirmOwner(principal, password);
      const removed = await transaction(async (repositories) => {
        const waysIn = await repositories.users.lockAndCountWaysIn(userId);
        const identity = (await repositories.federation.listIdentities(userId)).find((row) => row.id === identityId);
        if (!identity) throw new AppError('IDENTITY_NOT_FOUND');
        if (waysIn <= 1) throw new AppError('LAST_SIGN_IN_METHOD');
        return repositories.federation.deleteIdentity(identityId, userId);
      });
      if (!removed) throw new AppError('IDENTITY_NOT_FOUND');
      await audit.record('identity.unlinked', {
        actorUserId: userId,
        targetUserId: userId,
        details: { provider: removed.provider, identityId },
      });
    },
  };
}
