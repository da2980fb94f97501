import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface ListenHandlers {
  onMessage(payload: string): void;
  /**
   * Delivery may have gaps: false when the connection is lost (anything
   * derived from earlier messages must be dropped), true once listening again.
   */
  onDelivery(reliable: boolean): void;
}

export interface Listener {
  /**
   * Resolves once every notification committed before the call has reached
   * `onMessage`, so a change this process just made is applied before it answers.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
}

const reconnectDelaysMs = [100, 500, 1_000, 2_000, 5_000];
// A connection that stops answering (a network partition sends no FIN) is given up after this,
// and checked this often when idle, so silence never passes for "nothing changed" for long.
const answerTimeoutMs = 2_000;
const heartbeatMs = 5_000;

/**
 * LISTEN on a connection of its own, outside the pool (a pooled one would be
 * handed to queries). PostgreSQL delivers notifications in commit order and
 * sends those pending before a query's result, so a `select 1` on this
 * connection is a barrier behind every commit that preceded it.
 */
export async function listenPostgres(
  databaseUrl: string,
  channel: string,
  handlers: ListenHandlers,
): Promise<Listener> {
  let client: pg.Client | null = null;
  let closed = false;
  let attempt = 0;
  let retry: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const lost = (lostClient: pg.Client) => {
    if (client !== lostClient) return;
    client = null;
    handlers.onDelivery(false);
    lostClient.end().catch(() => {});
    if (closed) return;
    const delay = reconnectDelaysMs[Math.min(attempt, reconnectDelaysMs.length - 1)];
    attempt += 1;
    retry = setTimeout(() => void connect().catch(() => {}), delay);
    retry.unref();
  };

  async function connect(): Promise<void> {
    const fresh = new pg.Client({
      connectionString: databaseUrl,
      application_name: 'gatehouse-listener',
      keepAlive: true,
    });
    fresh.on('notification', (message) => {
      if (message.channel === channel && message.payload !== undefined) handlers.onMessage(message.payload);
    });
    fresh.on('error', () => lost(fresh));
    fresh.on('end', () => lost(fresh));
    client = fresh;
    try {
      await fresh.connect();
      await fresh.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      lost(fresh);
      throw error;
    }
    attempt = 0;
    handlers.onDelivery(true);
  }

  try {
    await connect();
  } catch (error) {
    // At start-up a failure is the caller's to report, not this module's to retry.
    closed = true;
    clearTimeout(retry);
    throw error;
  }

  async function barrier(): Promise<void> {
    const current = client;
    if (!current) return; // Not listening: the caller caches nothing meanwhile.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('listener did not answer')), answerTimeoutMs);
    });
    try {
      await Promise.race([current.query('select 1'), timedOut]);
    } catch {
      lost(current);
    } finally {
      clearTimeout(timer);
    }
  }

  const sync = sharedBarrier(barrier);
  heartbeat = setInterval(() => void sync(), heartbeatMs);
  heartbeat.unref();

  return {
    sync,
    async close() {
      closed = true;
      clearInterval(heartbeat);
      clearTimeout(retry);
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}

/**
 * Lets concurrent callers share round trips: one barrier runs at a time, and
 * everyone who asks meanwhile shares the next one, not the running one (it may
 * have been sent before their commit, and so not be behind it).
 */
export function sharedBarrier(barrier: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  return function sync(): Promise<void> {
    if (!running) {
      running = barrier().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return sync();
    });
    return queued;
  };
}

/**
 * PGlite is one in-process session: a notification, including one caused by
 * this session's own commit, is handed over before that commit's query
 * resolves, so there is nothing to wait for.
 */
export async function listenPglite(database: PGlite, channel: string, handlers: ListenHandlers): Promise<Listener> {
  const unlisten = await database.listen(channel, handlers.onMessage);
  handlers.onDelivery(true);
  return {
    sync: async () => {},
    async close() {
      if (!database.closed) await unlisten();
    },
  };
}
