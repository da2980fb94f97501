import { randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  signIn,
  strongPassword,
  superAdminDeps,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { auditEvents, loginEvents, sessions, users } from '../../db/schema.js';
import { createRoleRepository } from '../roles/repository.js';
import { createSuperAdmin } from './super-admin.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

// Makes search terms of this run unique, so counts do not depend on other tests.
const run = randomBytes(4).toString('hex');

function patch(app: FastifyInstance, url: string, payload: unknown, accessToken?: string) {
  return app.inject({
    method: 'PATCH',
    url,
    payload: payload as Record<string, unknown>,
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
}

/** A verified SUPER_ADMIN made the way an operator makes one (the CLI), then signed in. */
async function createSignedInSuperAdmin(app: TestApp) {
  const email = uniqueEmail('super');
  const outcome = await createSuperAdmin(
    superAdminDeps(app),
    { email, password: strongPassword },
    { onlyIfNone: false },
  );
  expect(outcome).toBe('created');
  const [row] = await app.db.select({ id: users.id }).from(users).where(eq(users.email, email));
  if (!row) throw new Error(`super admin ${email} is missing`);
  return { email, userId: row.id, ...(await signIn(app, email)) };
}

async function userRow(id: number) {
  const [row] = await test.db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

async function usersWithEmail(email: string) {
  return test.db.select().from(users).where(eq(users.email, email));
}

async function auditOf(action: string, targetUserId: number) {
  return test.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.targetUserId, targetUserId)));
}

function login(email: string, password = strongPassword) {
  return post(test.app, '/auth/login', { email, password });
}

function inAnHour() {
  return new Date(test.clock.now().getTime() + 3600_000).toISOString();
}

describe('POST /users', () => {
  it('lets an ADMIN create a verified USER who can sign in with the given password and is told by email', async () => {
    const admin = await createAdmin(test);
    const email = uniqueEmail('created');
    const response = await post(
      test.app,
      '/users',
      {
        email: email.toUpperCase(),
        password: 'SecurePass123!',
        firstName: 'Jane',
        lastName: 'Smith',
        accountType: 'BUSINESS',
      },
      admin.accessToken,
    );
    expect(response.statusCode).toBe(201);
    const { user } = response.json();
    expect(user).toMatchObject({
      id: expect.any(Number),
      email,
      firstName: 'Jane',
      lastName: 'Smith',
      accountType: 'BUSINESS',
      emailVerified: true,
      roles: ['USER'],
      locked: false,
    });
    expect(user).not.toHaveProperty('passwordHash');
    expect(response.body).not.toMatch(/argon2/);

    const signedIn = await login(email, 'SecurePass123!');
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json().user).toMatchObject({ id: user.id, roles: ['USER'] });

    const mail = await test.lastMailTo(email);
    expect(mail?.subject).toMatch(/account was created/i);
    // The password is never mailed.
    expect(mail?.text).not.toContain('SecurePass123!');

    expect(await auditOf('user.created', user.id)).toEqual([
      expect.objectContaining({ actorUserId: admin.userId, targetUserId: user.id, ipAddress: '127.0.0.1' }),
    ]);
  });

  it('refuses an email that is taken (409 EMAIL_TAKEN) and leaves that account alone', async () => {
    const admin = await createAdmin(test);
    const existing = await createVerifiedUser(test);
    for (const email of [existing.email, `  ${existing.email.toUpperCase()} `]) {
      expectError(
        await post(test.app, '/users', { email, password: 'another long password' }, admin.accessToken),
        409,
        'EMAIL_TAKEN',
      );
    }
    expect(await usersWithEmail(existing.email)).toHaveLength(1);
    expect((await login(existing.email)).statusCode).toBe(200);
    expectError(await login(existing.email, 'another long password'), 401, 'INVALID_CREDENTIALS');
  });

  it('refuses a common password and creates nothing', async () => {
    const admin = await createAdmin(test);
    const email = uniqueEmail('common');
    expectError(
      await post(test.app, '/users', { email, password: 'password1' }, admin.accessToken),
      400,
      'PASSWORD_TOO_COMMON',
    );
    expect(await usersWithEmail(email)).toHaveLength(0);
  });

  it('refuses roles, flags and ids in the body and creates nothing', async () => {
    const admin = await createAdmin(test);
    for (const extra of [{ roles: ['SUPER_ADMIN'] }, { emailVerified: false }, { id: 1 }, { lockedAt: null }]) {
      const email = uniqueEmail('mass');
      expectError(
        await post(test.app, '/users', { email, password: strongPassword, ...extra }, admin.accessToken),
        400,
        'VALIDATION_FAILED',
      );
      expect(await usersWithEmail(email)).toHaveLength(0);
    }
  });

  it('is refused to a USER (403) and without a token (401)', async () => {
    const user = await createVerifiedUser(test);
    const email = uniqueEmail('by-user');
    expectError(
      await post(test.app, '/users', { email, password: strongPassword }, user.accessToken),
      403,
      'FORBIDDEN',
    );
    expectError(await post(test.app, '/users', { email, password: strongPassword }), 401, 'UNAUTHORIZED');
    expect(await usersWithEmail(email)).toHaveLength(0);
  });
});

describe('GET /users', () => {
  async function list(query: string, accessToken: string) {
    const response = await get(test.app, `/users?${query}`, accessToken);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(Array.isArray(body)).toBe(true);
    return {
      ids: (body as { id: number }[]).map((user) => user.id),
      items: body as Record<string, unknown>[],
      total: Number(response.headers['x-total-count']),
    };
  }

  async function createNamed(adminToken: string, email: string, firstName: string, lastName: string) {
    const response = await post(
      test.app,
      '/users',
      { email, password: strongPassword, firstName, lastName },
      adminToken,
    );
    expect(response.statusCode).toBe(201);
    return response.json().user.id as number;
  }

  it('returns a JSON array with X-Total-Count, paged by limit and offset', async () => {
    const admin = await createAdmin(test);
    const tag = `paging${run}`;
    const created: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      created.push((await createVerifiedUser(test, uniqueEmail(tag))).userId);
    }

    const firstPage = await list(`search=${tag}&limit=2&offset=0`, admin.accessToken);
    expect(firstPage.total).toBe(3);
    expect(firstPage.ids).toEqual(created.slice(0, 2));
    const secondPage = await list(`search=${tag}&limit=2&offset=2`, admin.accessToken);
    expect(secondPage.total).toBe(3);
    expect(secondPage.ids).toEqual(created.slice(2));
    expect((await list(`search=${tag}&limit=2&offset=3`, admin.accessToken)).ids).toEqual([]);

    const everyone = await list('', admin.accessToken);
    expect(everyone.total).toBeGreaterThanOrEqual(everyone.ids.length);
    expect(everyone.ids.length).toBeGreaterThan(0);
    expect(everyone.ids.length).toBeLessThanOrEqual(20);
  });

  it('searches email fragments case-insensitively', async () => {
    const admin = await createAdmin(test);
    const tag = `mailsearch${run}`;
    const alice = await createVerifiedUser(test, uniqueEmail(tag));
    const bob = await createVerifiedUser(test, uniqueEmail(tag));
    await createVerifiedUser(test, uniqueEmail(`other${run}`));
    const found = await list(`search=${tag.toUpperCase()}`, admin.accessToken);
    expect(found.ids).toEqual([alice.userId, bob.userId]);
    expect(found.total).toBe(2);
  });

  it('searches first and last names case-insensitively', async () => {
    const admin = await createAdmin(test);
    const ada = await createNamed(admin.accessToken, uniqueEmail('named'), `Ada${run}`, 'Lovelace');
    const grace = await createNamed(admin.accessToken, uniqueEmail('named'), 'Grace', `Hopper${run}`);
    expect((await list(`search=ada${run.toUpperCase()}`, admin.accessToken)).ids).toEqual([ada]);
    expect((await list(`search=HOPPER${run}`, admin.accessToken)).ids).toEqual([grace]);
  });

  it("treats '%' and '_' in the search term as literal characters", async () => {
    const admin = await createAdmin(test);
    const percent = await createNamed(admin.accessToken, uniqueEmail('literal'), 'Pat', `${run}%off`);
    await createNamed(admin.accessToken, uniqueEmail('literal'), 'Pat', `${run}Xoff`);
    const underscore = await createNamed(admin.accessToken, uniqueEmail('literal'), 'Pat', `${run}_on`);
    await createNamed(admin.accessToken, uniqueEmail('literal'), 'Pat', `${run}Yon`);
    const byPercent = await list(`search=${encodeURIComponent(`${run}%off`)}`, admin.accessToken);
    expect(byPercent.ids).toEqual([percent]);
    expect(byPercent.total).toBe(1);
    expect((await list(`search=${encodeURIComponent(`${run}_on`)}`, admin.accessToken)).ids).toEqual([underscore]);
  });

  it('filters by role', async () => {
    const tag = `rolefilter${run}`;
    const admin = await createVerifiedUser(test, uniqueEmail(tag));
    await createRoleRepository(test.db).insertUserRole(admin.userId, 'ADMIN', new Date());
    const user = await createVerifiedUser(test, uniqueEmail(tag));
    expect((await list(`search=${tag}&role=ADMIN`, admin.accessToken)).ids).toEqual([admin.userId]);
    expect((await list(`search=${tag}&role=USER`, admin.accessToken)).ids).toEqual([admin.userId, user.userId]);
    const admins = await list('role=ADMIN&limit=100', admin.accessToken);
    expect(admins.items.every((item) => (item.roles as string[]).includes('ADMIN'))).toBe(true);
    expect(admins.ids).not.toContain(user.userId);
  });

  it('never shows password hashes', async () => {
    const admin = await createAdmin(test);
    const response = await get(test.app, '/users?limit=100', admin.accessToken);
    expect(response.statusCode).toBe(200);
    const items = response.json() as Record<string, unknown>[];
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item).not.toHaveProperty('passwordHash');
    expect(response.body).not.toMatch(/argon2/);
  });

  it('is refused to a USER and rejects malformed queries', async () => {
    const user = await createVerifiedUser(test);
    expectError(await get(test.app, '/users', user.accessToken), 403, 'FORBIDDEN');
    const admin = await createAdmin(test);
    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'role=admin', 'sort=email']) {
      expectError(await get(test.app, `/users?${query}`, admin.accessToken), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('GET /users/:id', () => {
  it('shows a USER their own account', async () => {
    const user = await createVerifiedUser(test);
    const response = await get(test.app, `/users/${user.userId}`, user.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: user.userId, email: user.email, roles: ['USER'], locked: false });
    expect(response.json().user).not.toHaveProperty('passwordHash');
  });

  it('answers a USER 403 for any other id, existing or not, so ids cannot be probed', async () => {
    const user = await createVerifiedUser(test);
    const other = await createVerifiedUser(test);
    expectError(await get(test.app, `/users/${other.userId}`, user.accessToken), 403, 'FORBIDDEN');
    expectError(await get(test.app, '/users/2000000000', user.accessToken), 403, 'FORBIDDEN');
  });

  it('shows an ADMIN anyone and answers 404 USER_NOT_FOUND for an unknown id', async () => {
    const admin = await createAdmin(test);
    const other = await createVerifiedUser(test);
    const response = await get(test.app, `/users/${other.userId}`, admin.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: other.userId, email: other.email });
    expectError(await get(test.app, '/users/2000000000', admin.accessToken), 404, 'USER_NOT_FOUND');
  });

  it.each(['abc', '0', '-1', '1.5'])('rejects the malformed id %s with 400', async (id) => {
    const admin = await createAdmin(test);
    expectError(await get(test.app, `/users/${id}`, admin.accessToken), 400, 'VALIDATION_FAILED');
  });
});

describe('PATCH /users/:id', () => {
  it('lets a USER update their own account', async () => {
    const user = await createVerifiedUser(test);
    const response = await patch(test.app, `/users/${user.userId}`, { firstName: 'Updated Name' }, user.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: user.userId, firstName: 'Updated Name' });
    expect((await get(test.app, '/users/me', user.accessToken)).json().firstName).toBe('Updated Name');
  });

  it("refuses a USER someone else's account and changes nothing", async () => {
    const user = await createVerifiedUser(test);
    const other = await createVerifiedUser(test);
    expectError(
      await patch(test.app, `/users/${other.userId}`, { firstName: 'Hijacked' }, user.accessToken),
      403,
      'FORBIDDEN',
    );
    expect((await userRow(other.userId))?.firstName).toBeNull();
  });

  it('lets an ADMIN update another user', async () => {
    const admin = await createAdmin(test);
    const other = await createVerifiedUser(test);
    const response = await patch(
      test.app,
      `/users/${other.userId}`,
      { lastName: 'Changed', phoneNumber: '+14155550123' },
      admin.accessToken,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: other.userId, lastName: 'Changed', phoneNumber: '+14155550123' });
    expect((await get(test.app, '/users/me', other.accessToken)).json()).toMatchObject({ lastName: 'Changed' });
  });

  it('refuses an ADMIN a SUPER_ADMIN and changes nothing', async () => {
    const admin = await createAdmin(test);
    const superAdmin = await createSignedInSuperAdmin(test);
    expectError(
      await patch(test.app, `/users/${superAdmin.userId}`, { firstName: 'Demoted' }, admin.accessToken),
      403,
      'FORBIDDEN',
    );
    expect((await userRow(superAdmin.userId))?.firstName).toBeNull();
  });

  it.each([
    ['email', { email: 'taken.over@example.com' }],
    ['roles', { roles: ['SUPER_ADMIN'] }],
    ['id', { id: 1 }],
    ['emailVerified', { emailVerified: false }],
    ['lockedAt', { lockedAt: null }],
  ])('refuses %s in the body (mass assignment) with 400 and changes nothing', async (_field, extra) => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const before = await userRow(user.userId);
    for (const accessToken of [user.accessToken, admin.accessToken]) {
      expectError(
        await patch(test.app, `/users/${user.userId}`, { firstName: 'Sneaky', ...extra }, accessToken),
        400,
        'VALIDATION_FAILED',
      );
    }
    expect(await userRow(user.userId)).toEqual(before);
    expect(await createRoleRepository(test.db).findRoleNames(user.userId)).toEqual(['USER']);
  });
});

describe('DELETE /users/:id', () => {
  it('needs the current password to delete your own account', async () => {
    const user = await createVerifiedUser(test);
    expectError(await del(test.app, `/users/${user.userId}`, user.accessToken), 400, 'INVALID_PASSWORD');
    expectError(await del(test.app, `/users/${user.userId}`, user.accessToken, {}), 400, 'INVALID_PASSWORD');
    expectError(
      await del(test.app, `/users/${user.userId}`, user.accessToken, { currentPassword: 'not my password' }),
      400,
      'INVALID_PASSWORD',
    );
    expect(await userRow(user.userId)).not.toBeNull();
    expect((await get(test.app, '/users/me', user.accessToken)).statusCode).toBe(200);
  });

  it('deletes your own account with the right password: tokens, login and history are gone', async () => {
    const user = await createVerifiedUser(test);
    const second = await signIn(test, user.email);
    const response = await del(test.app, `/users/${user.userId}`, user.accessToken, {
      currentPassword: strongPassword,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: user.userId, email: user.email });

    expectError(await get(test.app, '/users/me', user.accessToken), 401, 'UNAUTHORIZED');
    expectError(await get(test.app, '/users/me', second.accessToken), 401, 'UNAUTHORIZED');
    expect((await post(test.app, '/auth/refresh', { refreshToken: second.refreshToken })).statusCode).toBe(401);
    expectError(await login(user.email), 401, 'INVALID_CREDENTIALS');

    expect(await userRow(user.userId)).toBeNull();
    expect(await test.db.select().from(sessions).where(eq(sessions.userId, user.userId))).toEqual([]);
    expect(await test.db.select().from(loginEvents).where(eq(loginEvents.userId, user.userId))).toEqual([]);

    const audit = await auditOf('user.deleted', user.userId);
    expect(audit).toEqual([
      expect.objectContaining({ actorUserId: user.userId, targetUserId: user.userId, ipAddress: '127.0.0.1' }),
    ]);
    // The trail outlives the account but does not keep its personal data.
    expect(JSON.stringify(audit)).not.toContain(user.email);
  });

  it('lets an ADMIN delete a USER, whose existing token then answers 401', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const response = await del(test.app, `/users/${user.userId}`, admin.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: user.userId });
    expectError(await get(test.app, '/users/me', user.accessToken), 401, 'UNAUTHORIZED');
    expectError(await get(test.app, `/users/${user.userId}`, admin.accessToken), 404, 'USER_NOT_FOUND');
    expectError(await del(test.app, `/users/${user.userId}`, admin.accessToken), 404, 'USER_NOT_FOUND');
    expect(await auditOf('user.deleted', user.userId)).toEqual([
      expect.objectContaining({ actorUserId: admin.userId, targetUserId: user.userId, ipAddress: '127.0.0.1' }),
    ]);
  });

  it('refuses a USER another account and an ADMIN a SUPER_ADMIN', async () => {
    const user = await createVerifiedUser(test);
    const other = await createVerifiedUser(test);
    expectError(
      await del(test.app, `/users/${other.userId}`, user.accessToken, { currentPassword: strongPassword }),
      403,
      'FORBIDDEN',
    );
    const admin = await createAdmin(test);
    const superAdmin = await createSignedInSuperAdmin(test);
    expectError(await del(test.app, `/users/${superAdmin.userId}`, admin.accessToken), 403, 'FORBIDDEN');
    expect(await userRow(other.userId)).not.toBeNull();
    expect((await get(test.app, '/users/me', superAdmin.accessToken)).statusCode).toBe(200);
  });

  it('refuses the last SUPER_ADMIN deleting itself (409 LAST_SUPER_ADMIN)', async () => {
    // Counts SUPER_ADMINs, so it needs a database of its own.
    const isolated = await buildTestApp();
    try {
      const only = await createSignedInSuperAdmin(isolated);
      expectError(
        await del(isolated.app, `/users/${only.userId}`, only.accessToken, { currentPassword: strongPassword }),
        409,
        'LAST_SUPER_ADMIN',
      );
      expect((await get(isolated.app, '/users/me', only.accessToken)).statusCode).toBe(200);
      // With a second one, the first may go.
      await createSignedInSuperAdmin(isolated);
      const response = await del(isolated.app, `/users/${only.userId}`, only.accessToken, {
        currentPassword: strongPassword,
      });
      expect(response.statusCode).toBe(200);
      expect(await createRoleRepository(isolated.db).countUsersWithRole('SUPER_ADMIN')).toBe(1);
    } finally {
      await isolated.close();
    }
  });

  it('counts only SUPER_ADMINs who can still sign in: with the other one locked, neither self-deletion nor self-demotion goes through', async () => {
    const isolated = await buildTestApp();
    try {
      const first = await createSignedInSuperAdmin(isolated);
      const second = await createSignedInSuperAdmin(isolated);
      const lock = await post(
        isolated.app,
        `/admin/users/${second.userId}/lock`,
        { reason: 'away' },
        first.accessToken,
      );
      expect(lock.statusCode).toBe(200);
      expectError(
        await del(isolated.app, `/users/${first.userId}`, first.accessToken, { currentPassword: strongPassword }),
        409,
        'LAST_SUPER_ADMIN',
      );
      const demotion = await isolated.app.inject({
        method: 'DELETE',
        url: '/auth/roles/remove',
        headers: { authorization: `Bearer ${first.accessToken}` },
        payload: { userId: first.userId, roleName: 'SUPER_ADMIN' },
      });
      expectError(demotion, 409, 'LAST_SUPER_ADMIN');
      expect((await get(isolated.app, '/users/me', first.accessToken)).json().roles).toContain('SUPER_ADMIN');
      // Once the other can sign in again, the first may step down.
      expect((await post(isolated.app, `/admin/users/${second.userId}/unlock`, {}, first.accessToken)).statusCode).toBe(
        200,
      );
      const response = await del(isolated.app, `/users/${first.userId}`, first.accessToken, {
        currentPassword: strongPassword,
      });
      expect(response.statusCode).toBe(200);
    } finally {
      await isolated.close();
    }
  });
});

describe('POST /admin/users/:id/lock and /unlock', () => {
  function lock(id: number, accessToken: string, body?: Record<string, unknown>) {
    return post(test.app, `/admin/users/${id}/lock`, body, accessToken);
  }

  it('locks an account: its token stops working, login answers 423, refresh fails', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const response = await lock(user.userId, admin.accessToken, { reason: 'Suspicious activity' });
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({
      id: user.userId,
      locked: true,
      lockedUntil: null,
      lockReason: 'Suspicious activity',
    });

    expectError(await get(test.app, '/users/me', user.accessToken), 401, 'UNAUTHORIZED');
    const refused = await login(user.email);
    expectError(refused, 423, 'ACCOUNT_LOCKED');
    expect(refused.body).not.toMatch(/accessToken|refreshToken/);
    expectError(
      await post(test.app, '/auth/refresh', { refreshToken: user.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );

    const expected = { actorUserId: admin.userId, targetUserId: user.userId, ipAddress: '127.0.0.1' };
    expect(await auditOf('user.locked', user.userId)).toEqual([
      expect.objectContaining({ ...expected, details: { reason: 'Suspicious activity', until: null } }),
    ]);
    expect(await auditOf('session.revoked_all', user.userId)).toEqual([expect.objectContaining(expected)]);
  });

  it('refuses an `until` in the past, locking yourself and an ADMIN locking a SUPER_ADMIN', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const past = new Date(test.clock.now().getTime() - 60_000).toISOString();
    expectError(await lock(user.userId, admin.accessToken, { until: past }), 400, 'VALIDATION_FAILED');
    expectError(await lock(admin.userId, admin.accessToken), 400, 'VALIDATION_FAILED');
    const superAdmin = await createSignedInSuperAdmin(test);
    expectError(await lock(superAdmin.userId, admin.accessToken), 403, 'FORBIDDEN');

    for (const account of [user, admin, superAdmin]) {
      expect((await get(test.app, '/users/me', account.accessToken)).statusCode).toBe(200);
    }
    expect((await login(user.email)).statusCode).toBe(200);
  });

  it('rejects a malformed body and is refused to a USER', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    for (const body of [{ until: 'tomorrow' }, { reason: '' }, { reason: 'x', lockedAt: null }]) {
      expectError(await lock(user.userId, admin.accessToken, body), 400, 'VALIDATION_FAILED');
    }
    const other = await createVerifiedUser(test);
    expectError(await lock(other.userId, user.accessToken), 403, 'FORBIDDEN');
    expectError(
      await post(test.app, `/admin/users/${other.userId}/unlock`, undefined, user.accessToken),
      403,
      'FORBIDDEN',
    );
    expect((await get(test.app, '/users/me', other.accessToken)).statusCode).toBe(200);
  });

  it('ends a lock with `until` once that moment has passed', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const until = inAnHour();
    const response = await lock(user.userId, admin.accessToken, { until });
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ locked: true, lockedUntil: until });

    const refused = await login(user.email);
    expectError(refused, 423, 'ACCOUNT_LOCKED');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    test.clock.advanceSeconds(3601);
    expect((await login(user.email)).statusCode).toBe(200);
    const shown = await get(test.app, `/users/${user.userId}`, admin.accessToken);
    expect(shown.json().user).toMatchObject({ locked: false, lockedUntil: null });
    // The sessions the lock ended stay ended.
    expectError(await get(test.app, '/users/me', user.accessToken), 401, 'UNAUTHORIZED');
  });

  it('unlock restores login', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    expect((await lock(user.userId, admin.accessToken)).statusCode).toBe(200);
    expectError(await login(user.email), 423, 'ACCOUNT_LOCKED');

    const response = await post(test.app, `/admin/users/${user.userId}/unlock`, undefined, admin.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: user.userId, locked: false, lockReason: null });
    const signedIn = await login(user.email);
    expect(signedIn.statusCode).toBe(200);
    expect((await get(test.app, '/users/me', signedIn.json().accessToken)).statusCode).toBe(200);

    expect(await auditOf('user.unlocked', user.userId)).toEqual([
      expect.objectContaining({ actorUserId: admin.userId, targetUserId: user.userId, ipAddress: '127.0.0.1' }),
    ]);
  });
});

describe('DELETE /admin/users/:id/sessions', () => {
  it('signs the user out everywhere', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const second = await signIn(test, user.email);
    const response = await del(test.app, `/admin/users/${user.userId}/sessions`, admin.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: expect.any(String) });

    for (const session of [user, second]) {
      expectError(await get(test.app, '/users/me', session.accessToken), 401, 'UNAUTHORIZED');
      expectError(
        await post(test.app, '/auth/refresh', { refreshToken: session.refreshToken }),
        401,
        'REFRESH_TOKEN_INVALID',
      );
    }
    // The administrator's own session is untouched, and the user can sign in again.
    expect((await get(test.app, '/users/me', admin.accessToken)).statusCode).toBe(200);
    expect((await login(user.email)).statusCode).toBe(200);

    expect(await auditOf('session.revoked_all', user.userId)).toEqual([
      expect.objectContaining({
        actorUserId: admin.userId,
        targetUserId: user.userId,
        ipAddress: '127.0.0.1',
        details: expect.objectContaining({ reason: 'revoked_by_admin', count: 2 }),
      }),
    ]);
  });

  it('is refused to a USER, and to an ADMIN for a SUPER_ADMIN', async () => {
    const user = await createVerifiedUser(test);
    const other = await createVerifiedUser(test);
    expectError(await del(test.app, `/admin/users/${other.userId}/sessions`, user.accessToken), 403, 'FORBIDDEN');
    expect((await get(test.app, '/users/me', other.accessToken)).statusCode).toBe(200);

    const admin = await createAdmin(test);
    const superAdmin = await createSignedInSuperAdmin(test);
    expectError(await del(test.app, `/admin/users/${superAdmin.userId}/sessions`, admin.accessToken), 403, 'FORBIDDEN');
    expect((await get(test.app, '/users/me', superAdmin.accessToken)).statusCode).toBe(200);
  });
});
