import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoleRepository } from '../src/modules/roles/repository.js';
import {
  buildOtherInstance,
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  signIn,
  type TestApp,
} from './helpers.js';

// Authenticated requests are answered from an in-memory cache of sessions and
// accounts (src/modules/sessions/access-cache.ts). These tests warm it first,
// then change things every way they can change, and check what the next
// request sees.

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

async function profileStatus(app: FastifyInstance, accessToken: string): Promise<number> {
  return (await get(app, '/auth/profile', accessToken)).statusCode;
}

/** Asks until the answer is `status`; a change announced by PostgreSQL arrives within milliseconds. */
async function eventually(ask: () => Promise<number>, status: number, withinMs = 3_000): Promise<number> {
  const deadline = Date.now() + withinMs;
  let last = await ask();
  while (last !== status && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    last = await ask();
  }
  return last;
}

async function warm(app: FastifyInstance, accessToken: string): Promise<void> {
  expect(await profileStatus(app, accessToken)).toBe(200);
  expect(await profileStatus(app, accessToken)).toBe(200);
}

describe('on the instance that made the change', () => {
  it('refuses a session on the request right after its logout, every time', async () => {
    const user = await createVerifiedUser(test);
    for (let round = 0; round < 15; round += 1) {
      const session = await signIn(test, user.email, { deviceId: `device-${round}` });
      await warm(test.app, session.accessToken);
      expect((await post(test.app, '/auth/logout', {}, session.accessToken)).statusCode).toBe(200);
      expectError(await get(test.app, '/auth/profile', session.accessToken), 401, 'UNAUTHORIZED');
    }
  });

  it('applies a role removed by an admin on the next request of the demoted user', async () => {
    const superAdmin = await createVerifiedUser(test);
    await createRoleRepository(test.db).insertUserRole(superAdmin.userId, 'SUPER_ADMIN', new Date());
    const demoted = await createAdmin(test);
    expect((await get(test.app, '/users', demoted.accessToken)).statusCode).toBe(200);
    const removed = await del(test.app, '/auth/roles/remove', superAdmin.accessToken, {
      userId: demoted.userId,
      roleName: 'ADMIN',
    });
    expect(removed.statusCode).toBe(200);
    expectError(await get(test.app, '/users', demoted.accessToken), 403, 'FORBIDDEN');
    expect((await get(test.app, '/auth/profile', demoted.accessToken)).json().roles).toEqual(['USER']);
  });

  it('shows a profile change on the next read', async () => {
    const user = await createVerifiedUser(test);
    await warm(test.app, user.accessToken);
    const updated = await test.app.inject({
      method: 'PUT',
      url: '/users/me',
      headers: { authorization: `Bearer ${user.accessToken}` },
      payload: { firstName: 'Ada' },
    });
    expect(updated.statusCode).toBe(200);
    expect((await get(test.app, '/auth/profile', user.accessToken)).json().firstName).toBe('Ada');
  });
});

describe('a change made in the database directly (an operator with psql)', () => {
  it('reaches a warm cache: a lock, then an unlock', async () => {
    const user = await createVerifiedUser(test);
    await warm(test.app, user.accessToken);
    await test.db.execute(sql`update users set locked_at = now() where id = ${user.userId}`);
    expect(await eventually(() => profileStatus(test.app, user.accessToken), 401)).toBe(401);
    await test.db.execute(sql`update users set locked_at = null where id = ${user.userId}`);
    expect(await eventually(() => profileStatus(test.app, user.accessToken), 200)).toBe(200);
  });

  it('reaches a warm cache: a permission taken from a role', async () => {
    const admin = await createAdmin(test);
    expect((await get(test.app, '/users', admin.accessToken)).statusCode).toBe(200);
    await test.db.execute(sql`delete from role_permissions
      where role_id = (select id from roles where name = 'ADMIN')
        and permission_id = (select id from permissions where name = 'user.read_all')`);
    try {
      expect(await eventually(async () => (await get(test.app, '/users', admin.accessToken)).statusCode, 403)).toBe(
        403,
      );
    } finally {
      await test.db.execute(sql`insert into role_permissions (role_id, permission_id)
        select r.id, p.id from roles r, permissions p where r.name = 'ADMIN' and p.name = 'user.read_all'`);
    }
    expect(await eventually(async () => (await get(test.app, '/users', admin.accessToken)).statusCode, 200)).toBe(200);
  });

  it('is served from the cache when the announcement is suppressed, for at most a minute', async () => {
    // Proves the cache is what answers (and what the triggers are for): with them off, a lock
    // goes unseen until the entry's one-minute bound.
    const user = await createVerifiedUser(test);
    await warm(test.app, user.accessToken);
    await test.db.execute(sql`alter table users disable trigger users_access_change`);
    try {
      await test.db.execute(sql`update users set locked_at = now() where id = ${user.userId}`);
      expect(await profileStatus(test.app, user.accessToken)).toBe(200);
    } finally {
      await test.db.execute(sql`alter table users enable trigger users_access_change`);
    }
    test.clock.advanceSeconds(61);
    expectError(await get(test.app, '/auth/profile', user.accessToken), 401, 'UNAUTHORIZED');
  });
});

describe('two instances on one PostgreSQL database', () => {
  let other: Awaited<ReturnType<typeof buildOtherInstance>> | undefined;
  beforeAll(async () => {
    if (onPostgres) other = await buildOtherInstance(test);
  });
  afterAll(async () => {
    await other?.close();
  });

  it('the other instance refuses a session logged out here within milliseconds', async (context) => {
    context.skip(!onPostgres, 'skipped: set TEST_DATABASE_URL to run two instances on PostgreSQL');
    if (!other) throw new Error('second instance not built');
    const user = await createVerifiedUser(test);
    await warm(other.app, user.accessToken);
    expect((await post(test.app, '/auth/logout', {}, user.accessToken)).statusCode).toBe(200);
    // Asked for 2 s, generously: the announcement normally lands in a few milliseconds.
    expect(await eventually(() => profileStatus(other?.app as FastifyInstance, user.accessToken), 401, 2_000)).toBe(
      401,
    );
  });

  it('the other instance applies a session revoked here (DELETE /auth/sessions/:id)', async (context) => {
    context.skip(!onPostgres, 'skipped: set TEST_DATABASE_URL to run two instances on PostgreSQL');
    if (!other) throw new Error('second instance not built');
    const user = await createVerifiedUser(test);
    const phone = await signIn(test, user.email, { deviceId: 'phone' });
    await warm(other.app, phone.accessToken);
    expect((await del(test.app, `/auth/sessions/${phone.sessionId}`, user.accessToken)).statusCode).toBe(200);
    expect(await eventually(() => profileStatus(other?.app as FastifyInstance, phone.accessToken), 401)).toBe(401);
    expect(await profileStatus(other.app, user.accessToken)).toBe(200);
  });

  it('keeps answering correctly when its listening connection is cut, and caches again after', async (context) => {
    context.skip(!onPostgres, 'skipped: set TEST_DATABASE_URL to cut a PostgreSQL connection');
    const user = await createVerifiedUser(test);
    await warm(test.app, user.accessToken);
    const cut = (await test.db.execute(sql`select pg_terminate_backend(pid) as cut from pg_stat_activity
      where application_name = 'gatehouse-listener' and datname = current_database()`)) as { rows: unknown[] };
    expect(cut.rows.length).toBeGreaterThanOrEqual(1);
    // Changes while nobody listens are read from the database, never from a stale entry.
    await test.db.execute(sql`update users set locked_at = now() where id = ${user.userId}`);
    expect(await eventually(() => profileStatus(test.app, user.accessToken), 401, 500)).toBe(401);
    await test.db.execute(sql`update users set locked_at = null where id = ${user.userId}`);
    expect(await profileStatus(test.app, user.accessToken)).toBe(200);
    // Listening again (reconnects within a second): announcements reach the cache once more.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await warm(test.app, user.accessToken);
    await test.db.execute(sql`update users set locked_at = now() where id = ${user.userId}`);
    expect(await eventually(() => profileStatus(test.app, user.accessToken), 401)).toBe(401);
  });
});
