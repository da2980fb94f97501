import { describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../db/database.js';
import type { ListenHandlers } from '../../db/listener.js';
import { clientChannel, createClientCache } from './client-cache.js';
import type { ClientRow } from './repository.js';

let nowMs = Date.parse('2026-01-15T10:00:00Z');
const clock = { now: () => new Date(nowMs) };

function client(clientId: string, secretHash = 'hash-1'): ClientRow {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    clientId,
    name: 'Orders',
    type: 'confidential',
    secretHash,
    redirectUris: ['https://orders.example.com/callback'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid'],
    idTokenSigningAlg: 'RS256',
    firstParty: true,
    createdAt: at,
    updatedAt: at,
  };
}

/** A cache wired to a fake feed (the test plays PostgreSQL's announcements) and a database that counts reads. */
async function connectedCache() {
  const cache = createClientCache(clock);
  let feed: ListenHandlers | undefined;
  let channel = '';
  const database = {
    listen: async (name: string, handlers: ListenHandlers) => {
      channel = name;
      feed = handlers;
      handlers.onDelivery(true);
      return { sync: async () => {}, close: async () => {} };
    },
  } as unknown as DatabaseHandle;
  await cache.connect(database);
  const rows = new Map<string, ClientRow>([['app-1', client('app-1')]]);
  const reads: string[] = [];
  const load = async (clientId: string) => {
    reads.push(clientId);
    return rows.get(clientId) ?? null;
  };
  return { cache, feed: feed as ListenHandlers, channel, rows, reads, load };
}

describe('the OpenID client cache', () => {
  it('listens on the channel the migration announces on, and reads a known client once', async () => {
    const { cache, channel, reads, load } = await connectedCache();
    expect(channel).toBe(clientChannel);
    expect((await cache.read('app-1', load))?.clientId).toBe('app-1');
    expect((await cache.read('app-1', load))?.clientId).toBe('app-1');
    expect(reads).toEqual(['app-1']);
  });

  it('never keeps an unknown client: one registered afterwards is found at once', async () => {
    const { cache, rows, reads, load } = await connectedCache();
    expect(await cache.read('app-2', load)).toBeNull();
    rows.set('app-2', client('app-2'));
    expect((await cache.read('app-2', load))?.clientId).toBe('app-2');
    expect(reads).toEqual(['app-2', 'app-2']);
  });

  it('reads a client again once its change is announced (a new secret is used at once)', async () => {
    const { cache, feed, rows, load } = await connectedCache();
    await cache.read('app-1', load);
    rows.set('app-1', client('app-1', 'hash-2'));
    expect((await cache.read('app-1', load))?.secretHash).toBe('hash-1');
    feed.onMessage('app-1');
    expect((await cache.read('app-1', load))?.secretHash).toBe('hash-2');
  });

  it('does not keep a read that raced with an announcement', async () => {
    const { cache, feed, rows, reads } = await connectedCache();
    // The change is committed and announced while the read is on its way back with the old row.
    const racing = async (clientId: string) => {
      const old = client(clientId);
      rows.set(clientId, client(clientId, 'hash-2'));
      feed.onMessage(clientId);
      reads.push(clientId);
      return old;
    };
    expect((await cache.read('app-1', racing))?.secretHash).toBe('hash-1');
    const fresh = async (clientId: string) => {
      reads.push(clientId);
      return rows.get(clientId) ?? null;
    };
    expect((await cache.read('app-1', fresh))?.secretHash).toBe('hash-2');
    expect(reads).toEqual(['app-1', 'app-1']);
  });

  it('keeps nothing while the announcements are not received, and forgets everything when they stop', async () => {
    const { cache, feed, reads, load } = await connectedCache();
    await cache.read('app-1', load);
    feed.onDelivery(false);
    await cache.read('app-1', load);
    await cache.read('app-1', load);
    expect(reads).toEqual(['app-1', 'app-1', 'app-1']);
    feed.onDelivery(true);
    await cache.read('app-1', load);
    await cache.read('app-1', load);
    expect(reads).toHaveLength(4);
  });

  it('reads a client again after a minute, in case a change bypassed the trigger', async () => {
    const { cache, reads, load } = await connectedCache();
    await cache.read('app-1', load);
    nowMs += 61_000;
    await cache.read('app-1', load);
    expect(reads).toEqual(['app-1', 'app-1']);
  });

  it('is never connected in a one-shot command: it keeps nothing and sync returns at once', async () => {
    const cache = createClientCache(clock);
    let loads = 0;
    const load = async (clientId: string) => {
      loads += 1;
      return client(clientId);
    };
    await cache.read('app-1', load);
    await cache.read('app-1', load);
    expect(loads).toBe(2);
    await expect(cache.sync()).resolves.toBeUndefined();
  });
});
