import type { Principal } from '../../core/account.js';
import type { Transaction } from '../../core/transaction.js';
import { AppError } from '../../errors.js';
import type { AuditRecorder } from '../audit/recorder.js';
import type { ConfirmOwner } from '../sessions/confirm-owner.js';
import type { UserRepository } from '../users/repository.js';
import type { PasskeyRepository, PasskeyRow } from './repository.js';

interface Deps {
  confirmOwner: ConfirmOwner;
  transaction: Transaction<{ users: UserRepository; passkeys: PasskeyRepository }>;
  passkeys: PasskeyRepository;
  audit: AuditRecorder;
}

export function presentPasskey(row: PasskeyRow) {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    deviceType: row.deviceType,
    backedUp: row.backedUp,
    transports: row.transports,
  };
}

/**
 * An account's passkeys as its owner sees and manages them (the account page
 * and the API). No WebAuthn ceremony here: those, and the challenges they
 * share, stay in service.ts.
 */
export function createPasskeyList({ confirmOwner, transaction, passkeys, audit }: Deps) {
  async function ownPasskey(principal: Principal, id: string): Promise<PasskeyRow> {
    const row = (await passkeys.listPasskeys(principal.userId)).find((passkey) => passkey.id === id);
    if (!row) throw new AppError('PASSKEY_NOT_FOUND');
    return row;
  }

  return {
    countPasskeys: (userId: number) => passkeys.countPasskeys(userId),

    async list(userId: number) {
      return { passkeys: (await passkeys.listPasskeys(userId)).map(presentPasskey) };
    },

    async rename(principal: Principal, id: string, name: string) {
      const row = await passkeys.renamePasskey(id, principal.userId, name.trim());
      if (!row) throw new AppError('PASSKEY_NOT_FOUND');
      await audit.record('passkey.renamed', {
        actorUserId: principal.userId,
        targetUserId: principal.userId,
        details: { passkeyId: id },
      });
      return { passkey: presentPasskey(row) };
    },

    /**
     * Needs the password or a sign-in of the last five minutes: a session
     * left open must not be enough to strip an account's passkeys. (Every
     * account has a password today, so a passkey is never its last way in.)
     */
    async remove(principal: Principal, id: string, password: string | undefined) {
      await ownPasskey(principal, id);
      await confirmOwner(principal, password);
      const removed = await transaction(async (repositories) => {
        // An account without a password or linked identity would be left with no way in.
        if ((await repositories.users.lockAndCountWaysIn(principal.userId)) <= 1) {
          throw new AppError('LAST_SIGN_IN_METHOD');
        }
        return repositories.passkeys.deletePasskey(id, principal.userId);
      });
      if (!removed) throw new AppError('PASSKEY_NOT_FOUND');
      await audit.record('passkey.removed', {
        actorUserId: principal.userId,
        targetUserId: principal.userId,
        details: { passkeyId: id },
      });
      return { message: 'Passkey removed' };
    },
  };
}
