import { followAnnouncements } from '../../db/announcements.js';
import type { DatabaseHandle } from '../../db/database.js';
import { setBounded } from '../../platform/bounded-map.js';
import type { Clock } from '../../platform/clock.js';
import type { ClientRow } from './repository.js';

/** The channel migration 0015's trigger announces a changed or removed client on, by id. */
export const clientChannel = 'gatehouse_oidc_clients';
// A bound in case a change ever bypassed the trigger (a bulk load with triggers disabled).
const maxAgeMs = 60_000;
const maxEntries = 1_000;

/**
 * The registered clients, which the provider reads on every request (each authenticates one), kept in
 * memory and dropped when PostgreSQL announces a change to one, by the rules of db/announcements.ts
 * (as the access cache). The admin service waits for its own change's announcement (`sync`) before
 * answering, so this instance never authenticates with a replaced secret after saying it was replaced;
 * other instances drop the client when the announcement arrives, a few milliseconds after the commit.
 */
export function createClientCache(clock: Clock) {
  const clients = new Map<string, { row: ClientRow; storedAt: number }>();
  const announcements = followAnnouncements(clientChannel, {
    changed: (clientId) => clients.delete(clientId),
    forgetAll: () => clients.clear(),
  });

  return {
    connect: (database: DatabaseHandle): Promise<void> => announcements.connect(database),

    /** The client, from memory when it is known and fresh, else from `load` (kept if nothing changed meanwhile). */
    async read(clientId: string, load: (clientId: string) => Promise<ClientRow | null>): Promise<ClientRow | null> {
      const now = clock.now().getTime();
      const entry = clients.get(clientId);
      if (entry && announcements.reliable() && entry.storedAt >= now - maxAgeMs) return entry.row;
      const readAtEpoch = announcements.epoch();
      const row = await load(clientId);
      if (row && announcements.mayKeep(readAtEpoch)) setBounded(clients, clientId, { row, storedAt: now }, maxEntries);
      return row;
    },

    /** Resolves once every change committed so far has been applied here. */
    sync: announcements.sync,
    close: announcements.close,
  };
}

export type ClientCache = ReturnType<typeof createClientCache>;
