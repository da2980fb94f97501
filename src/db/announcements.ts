import type { DatabaseHandle } from './database.js';
import type { Listener } from './listener.js';

/**
 * What an in-memory copy of rows needs to stay true to PostgreSQL's
 * announcements of their changes (the triggers of migrations 0006 and 0015):
 * - whether announcements are being received: while they are not, nothing
 *   may be kept, and everything kept is forgotten when delivery is lost;
 * - an epoch that moves with every announcement, so a read that raced with a
 *   change is not kept (`mayKeep`);
 * - `sync`, which resolves once every change committed so far has arrived,
 *   for a request that changed something to wait on before it answers.
 * The copy says what an announcement drops (`changed`) and how to drop
 * everything (`forgetAll`).
 */
export function followAnnouncements(channel: string, copy: { changed(payload: string): void; forgetAll(): void }) {
  let epoch = 0;
  let reliable = false;
  let listener: Listener | null = null;

  return {
    async connect(database: DatabaseHandle): Promise<void> {
      listener = await database.listen(channel, {
        onMessage(payload: string): void {
          epoch += 1;
          copy.changed(payload);
        },
        onDelivery(isReliable: boolean): void {
          epoch += 1;
          copy.forgetAll();
          reliable = isReliable;
        },
      });
    },

    /** Whether announcements are being received, so what was kept is still true. */
    reliable: (): boolean => reliable,

    /** Taken before a database read; see `mayKeep`. */
    epoch: (): number => epoch,

    /** Whether a read begun at `readAtEpoch` may be kept: announcements arrive and none came meanwhile. */
    mayKeep: (readAtEpoch: number): boolean => reliable && readAtEpoch === epoch,

    sync: (): Promise<void> => listener?.sync() ?? Promise.resolve(),

    async close(): Promise<void> {
      reliable = false;
      copy.forgetAll();
      await listener?.close();
      listener = null;
    },
  };
}
