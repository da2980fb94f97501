import type { Account } from '../../core/account.js';
import { followAnnouncements } from '../../db/announcements.js';
import type { DatabaseHandle } from '../../db/database.js';
import { setBounded } from '../../platform/bounded-map.js';
import type { Clock } from '../../platform/clock.js';

/** A session that was live when read (not revoked); expiry and locks are judged on each use. */
export interface SessionAccess {
  readonly sessionId: string;
  readonly userId: number;
  readonly expiresAt: Date;
  /** When the person signed in: the session's start (OpenID's auth_time). */
  readonly signedInAt: Date;
  lastActiveAt: Date;
  /** SHA-256 of the browser cookie's secret when the session belongs to a browser on the hosted pages. */
  readonly browserSecretHash: string | null;
  readonly account: Account;
}

interface Entry extends SessionAccess {
  storedAt: number;
}

/** The channel migration 0006's triggers announce changes on. */
export const accessChannel = 'gatehouse_access';
// A bound in case a change ever bypassed the triggers (a bulk load with triggers disabled).
const maxAgeMs = 60_000;

/**
 * Sessions and accounts that authenticated requests read, kept in memory and
 * dropped when PostgreSQL announces a change to them (see the migration).
 * Three rules keep it from ever answering with a revoked session:
 * - nothing is cached unless the announcements are being received;
 * - a read that raced with any announcement is not stored (the epoch);
 * - a request that changed something waits for its own announcements
 *   (`sync`) before answering, so its client's next request sees the change.
 * Other instances learn of a change when its announcement arrives: a few
 * milliseconds after the commit.
 */
export function createAccessCache(maxEntries: number, clock: Clock) {
  const sessions = new Map<string, Entry>();
  const accounts = new Map<number, { account: Account; storedAt: number }>();

  function forgetAll(): void {
    sessions.clear();
    accounts.clear();
  }

  const announcements = followAnnouncements(accessChannel, {
    changed(payload: string): void {
      if (payload.startsWith('s:')) sessions.delete(payload.slice(2));
      else if (payload.startsWith('u:')) accounts.delete(Number(payload.slice(2)));
      else forgetAll();
    },
    forgetAll,
  });

  return {
    async connect(database: DatabaseHandle): Promise<void> {
      if (maxEntries > 0) await announcements.connect(database);
    },

    lookup(sessionId: string): SessionAccess | undefined {
      const entry = sessions.get(sessionId);
      if (!entry) return undefined;
      const account = accounts.get(entry.userId);
      const oldest = clock.now().getTime() - maxAgeMs;
      if (
        !announcements.reliable() ||
        account?.account !== entry.account ||
        entry.storedAt < oldest ||
        account.storedAt < oldest
      ) {
        sessions.delete(sessionId);
        return undefined;
      }
      return entry;
    },

    /** Taken before a database read; `remember` stores the read only if nothing was announced meanwhile. */
    epoch: announcements.epoch,

    remember(readAtEpoch: number, access: SessionAccess): SessionAccess {
      if (!announcements.mayKeep(readAtEpoch) || maxEntries === 0) return access;
      // Sessions of one user share one account object, so one announcement drops them all.
      const storedAt = clock.now().getTime();
      let account = accounts.get(access.userId);
      if (!account || account.storedAt < storedAt - maxAgeMs) {
        account = { account: access.account, storedAt };
        setBounded(accounts, access.userId, account, maxEntries);
      }
      const entry = { ...access, account: account.account, storedAt };
      setBounded(sessions, access.sessionId, entry, maxEntries);
      return entry;
    },

    /** Resolves once every change committed so far has been applied here. */
    sync: announcements.sync,
    close: announcements.close,
  };
}

export type AccessCache = ReturnType<typeof createAccessCache>;
