import { describe, expect, it } from 'vitest';
import type { Account } from '../../core/account.js';
import type { DatabaseHandle } from '../../db/database.js';
import type { ListenHandlers } from '../../db/listener.js';
import { createAccessCache, type SessionAccess } from './access-cache.js';

let nowMs = Date.parse('2026-01-15T10:00:00Z');
const clock = { now: () => new Date(nowMs) };

function account(userId: number, permissions: string[] = []): Account {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    user: {
      id: userId,
      email: `user${userId}@example.com`,
      firstName: null,
      lastName: null,
      accountType: 'personal',
      phoneNumber: null,
      emailVerifiedAt: at,
      phoneVerifiedAt: null,
      totpEnabledAt: null,
      smsMfaEnabledAt: null,
      createdAt: at,
      updatedAt: at,
      lockedAt: null,
      lockedUntil: null,
    },
    roles: ['USER'],
    permissions,
    permissionSet: new Set(permissions),
  };
}

function access(sessionId: string, userId: number): SessionAccess {
  const at = new Date('2026-01-01T00:00:00Z');
  return {
    sessionId,
    userId,
    expiresAt: new Date('2027-01-01T00:00:00Z'),
    signedInAt: at,
    lastActiveAt: at,
    browserSecretHash: null,
    account: account(userId),
  };
}

/** A cache wired to a fake feed, so the test plays PostgreSQL's announcements by hand. */
async function connectedCache(size = 10) {
  const cache = createAccessCache(size, clock);
  let feed: ListenHandlers | undefined;
  let syncs = 0;
  const database = {
    listen: async (_channel: string, handlers: ListenHandlers) => {
      feed = handlers;
      handlers.onDelivery(true);
      return {
        sync: async () => {
          syncs += 1;
        },
        close: async () => {},
      };
    },
  } as unknown as DatabaseHandle;
  await cache.connect(database);
  if (!feed) throw new Error('the cache did not listen');
  return { cache, feed, syncs: () => syncs };
}

describe('access cache', () => {
  it('serves a stored session until its id is announced', async () => {
    const { cache, feed } = await connectedCache();
    cache.remember(cache.epoch(), access('s1', 1));
    expect(cache.lookup('s1')?.userId).toBe(1);
    feed.onMessage('s:s1');
    expect(cache.lookup('s1')).toBeUndefined();
  });

  it("drops every session of a user when the user's id is announced, and only theirs", async () => {
    const { cache, feed } = await connectedCache();
    cache.remember(cache.epoch(), access('a1', 1));
    cache.remember(cache.epoch(), access('a2', 1));
    cache.remember(cache.epoch(), access('b1', 2));
    // Two sessions of one user share the account read first.
    expect(cache.lookup('a2')?.account).toBe(cache.lookup('a1')?.account);
    feed.onMessage('u:1');
    expect(cache.lookup('a1')).toBeUndefined();
    expect(cache.lookup('a2')).toBeUndefined();
    expect(cache.lookup('b1')?.userId).toBe(2);
  });

  it('drops everything on a role or permission change', async () => {
    const { cache, feed } = await connectedCache();
    cache.remember(cache.epoch(), access('a1', 1));
    cache.remember(cache.epoch(), access('b1', 2));
    feed.onMessage('*');
    expect(cache.lookup('a1')).toBeUndefined();
    expect(cache.lookup('b1')).toBeUndefined();
  });

  it('does not store a read that raced with any announcement', async () => {
    const { cache, feed } = await connectedCache();
    const readAt = cache.epoch();
    // The session is revoked while its (now stale) row is on its way back.
    feed.onMessage('s:s1');
    const returned = cache.remember(readAt, access('s1', 1));
    expect(returned.userId).toBe(1);
    expect(cache.lookup('s1')).toBeUndefined();
  });

  it('caches nothing while announcements may be missed, and forgets all when they resume', async () => {
    const { cache, feed } = await connectedCache();
    cache.remember(cache.epoch(), access('s1', 1));
    feed.onDelivery(false);
    expect(cache.lookup('s1')).toBeUndefined();
    cache.remember(cache.epoch(), access('s2', 2));
    expect(cache.lookup('s2')).toBeUndefined();
    feed.onDelivery(true);
    cache.remember(cache.epoch(), access('s3', 3));
    expect(cache.lookup('s3')?.userId).toBe(3);
  });

  it('holds at most its size, dropping the oldest first', async () => {
    const { cache } = await connectedCache(2);
    for (const id of ['s1', 's2', 's3']) cache.remember(cache.epoch(), access(id, Number(id.slice(1))));
    expect(cache.lookup('s1')).toBeUndefined();
    expect(cache.lookup('s2')?.userId).toBe(2);
    expect(cache.lookup('s3')?.userId).toBe(3);
  });

  it('with size 0 stores nothing and does not listen', async () => {
    const cache = createAccessCache(0, clock);
    let listened = false;
    await cache.connect({
      listen: async () => {
        listened = true;
        throw new Error('must not listen');
      },
    } as unknown as DatabaseHandle);
    cache.remember(cache.epoch(), access('s1', 1));
    expect(cache.lookup('s1')).toBeUndefined();
    expect(listened).toBe(false);
    await cache.sync();
  });

  it('rereads an entry older than a minute, in case an announcement was ever bypassed', async () => {
    const { cache } = await connectedCache();
    cache.remember(cache.epoch(), access('s1', 1));
    nowMs += 59_000;
    expect(cache.lookup('s1')?.userId).toBe(1);
    nowMs += 2_000;
    expect(cache.lookup('s1')).toBeUndefined();
  });

  it('passes sync through to the listener, and forgets all on close', async () => {
    const { cache, syncs } = await connectedCache();
    await cache.sync();
    expect(syncs()).toBe(1);
    cache.remember(cache.epoch(), access('s1', 1));
    await cache.close();
    expect(cache.lookup('s1')).toBeUndefined();
  });
});
