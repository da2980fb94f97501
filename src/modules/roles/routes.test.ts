import { and, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { auditEvents, users } from '../../db/schema.js';
import { createSuperAdmin } from '../user-admin/super-admin.js';
import { createRoleRepository } from './repository.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

const userPermissions = ['user.create_own', 'user.delete_own', 'user.read_own', 'user.update_own'];
const adminPermissions = [
  ...userPermissions,
  'audit.read',
  'device.blacklist',
  'role.read',
  'session.revoke_all',
  'user.create_all',
  'user.delete_all',
  'user.lock',
  'user.read_all',
  'user.update_all',
].sort();

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

function removeRole(app: TestApp, accessToken: string, userId: number, roleName: string) {
  return del(app.app, '/auth/roles/remove', accessToken, { userId, roleName });
}

async function accessOf(app: TestApp, userId: number) {
  return createRoleRepository(app.db).findRolesAndPermissions(userId);
}

describe('POST /auth/roles/assign and /admin/assign-role', () => {
  it.each(['/auth/roles/assign', '/admin/assign-role'])(
    '%s by a SUPER_ADMIN gives the role and its permissions at once',
    async (path) => {
      const superAdmin = await createSignedInSuperAdmin(test);
      const target = await createVerifiedUser(test);
      expectError(await get(test.app, '/users', target.accessToken), 403, 'FORBIDDEN');

      const response = await post(test.app, path, { userId: target.userId, roleName: 'ADMIN' }, superAdmin.accessToken);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ message: expect.any(String) });

      const access = await get(test.app, `/auth/roles/user/${target.userId}`, superAdmin.accessToken);
      expect(access.statusCode).toBe(200);
      expect(access.json()).toEqual({ userId: target.userId, roles: ['ADMIN', 'USER'], permissions: adminPermissions });
      // Authorization reads live roles: the token issued before the grant now reaches admin routes.
      expect((await get(test.app, '/users', target.accessToken)).statusCode).toBe(200);
    },
  );

  it('granting a role the user already holds changes nothing', async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const target = await createAdmin(test);
    const response = await post(
      test.app,
      '/auth/roles/assign',
      { userId: target.userId, roleName: 'ADMIN' },
      superAdmin.accessToken,
    );
    expect(response.statusCode).toBe(200);
    expect((await accessOf(test, target.userId)).roles).toEqual(['ADMIN', 'USER']);
  });

  it('answers an ADMIN with the seed 403 body and grants nothing', async () => {
    const admin = await createAdmin(test);
    const target = await createVerifiedUser(test);
    for (const roleName of ['ADMIN', 'SUPER_ADMIN']) {
      const response = await post(
        test.app,
        '/auth/roles/assign',
        { userId: target.userId, roleName },
        admin.accessToken,
      );
      expectError(response, 403, 'FORBIDDEN');
      expect(response.json()).toMatchObject({
        statusCode: 403,
        message: 'Insufficient permissions',
        error: 'Forbidden',
      });
    }
    // Nor can an ADMIN promote themselves.
    expectError(
      await post(test.app, '/admin/assign-role', { userId: admin.userId, roleName: 'SUPER_ADMIN' }, admin.accessToken),
      403,
      'FORBIDDEN',
    );
    expect((await accessOf(test, target.userId)).roles).toEqual(['USER']);
    expect((await accessOf(test, admin.userId)).roles).toEqual(['ADMIN', 'USER']);
  });

  it('answers a USER with 403 and without a token with 401', async () => {
    const user = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/roles/assign', { userId: user.userId, roleName: 'ADMIN' }, user.accessToken),
      403,
      'FORBIDDEN',
    );
    expectError(
      await post(test.app, '/auth/roles/assign', { userId: user.userId, roleName: 'ADMIN' }),
      401,
      'UNAUTHORIZED',
    );
    expect((await accessOf(test, user.userId)).roles).toEqual(['USER']);
  });

  it('answers 404 USER_NOT_FOUND for an unknown user and 404 ROLE_NOT_FOUND for an unknown role', async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const target = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/roles/assign', { userId: 2_000_000_000, roleName: 'ADMIN' }, superAdmin.accessToken),
      404,
      'USER_NOT_FOUND',
    );
    expectError(
      await post(
        test.app,
        '/auth/roles/assign',
        { userId: target.userId, roleName: 'MODERATOR' },
        superAdmin.accessToken,
      ),
      404,
      'ROLE_NOT_FOUND',
    );
    expect((await accessOf(test, target.userId)).roles).toEqual(['USER']);
  });

  it.each([
    ['a non-numeric userId', () => ({ userId: 'abc', roleName: 'ADMIN' })],
    ['a numeric string userId', (userId: number) => ({ userId: String(userId), roleName: 'ADMIN' })],
    ['a zero userId', () => ({ userId: 0, roleName: 'ADMIN' })],
    ['a lowercase roleName', (userId: number) => ({ userId, roleName: 'admin' })],
    ['a missing roleName', (userId: number) => ({ userId })],
    ['an extra field', (userId: number) => ({ userId, roleName: 'ADMIN', permissions: ['role.assign'] })],
  ])('rejects a body with %s with 400 and grants nothing', async (_label, body) => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const target = await createVerifiedUser(test);
    const payload = body(target.userId);
    for (const path of ['/auth/roles/assign', '/admin/assign-role']) {
      expectError(await post(test.app, path, payload, superAdmin.accessToken), 400, 'VALIDATION_FAILED');
    }
    expectError(await removeRole(test, superAdmin.accessToken, target.userId, 'admin'), 400, 'VALIDATION_FAILED');
    expect((await accessOf(test, target.userId)).roles).toEqual(['USER']);
  });
});

describe('DELETE /auth/roles/remove', () => {
  it('takes the role and its permissions away', async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const target = await createAdmin(test);
    const response = await removeRole(test, superAdmin.accessToken, target.userId, 'ADMIN');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: expect.any(String) });
    const access = await get(test.app, `/auth/roles/user/${target.userId}`, superAdmin.accessToken);
    expect(access.json()).toEqual({ userId: target.userId, roles: ['USER'], permissions: userPermissions });
  });

  it('lets one of two SUPER_ADMINs give up the role', async () => {
    const first = await createSignedInSuperAdmin(test);
    await createSignedInSuperAdmin(test);
    expect((await removeRole(test, first.accessToken, first.userId, 'SUPER_ADMIN')).statusCode).toBe(200);
    expect((await accessOf(test, first.userId)).roles).toEqual(['USER']);
  });

  it('is refused to an ADMIN, and for unknown users and roles', async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const admin = await createAdmin(test);
    const target = await createAdmin(test);
    expectError(await removeRole(test, admin.accessToken, target.userId, 'ADMIN'), 403, 'FORBIDDEN');
    expectError(await removeRole(test, admin.accessToken, superAdmin.userId, 'SUPER_ADMIN'), 403, 'FORBIDDEN');
    expectError(await removeRole(test, superAdmin.accessToken, 2_000_000_000, 'ADMIN'), 404, 'USER_NOT_FOUND');
    expectError(await removeRole(test, superAdmin.accessToken, target.userId, 'MODERATOR'), 404, 'ROLE_NOT_FOUND');
    expect((await accessOf(test, target.userId)).roles).toEqual(['ADMIN', 'USER']);
    expect((await accessOf(test, superAdmin.userId)).roles).toContain('SUPER_ADMIN');
  });

  it('takes effect on the next request of a token issued before the demotion', async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const admin = await createAdmin(test);
    expect((await get(test.app, '/users', admin.accessToken)).statusCode).toBe(200);
    expect((await removeRole(test, superAdmin.accessToken, admin.userId, 'ADMIN')).statusCode).toBe(200);
    expectError(await get(test.app, '/users', admin.accessToken), 403, 'FORBIDDEN');
    // Still signed in, just no longer an administrator.
    expect((await get(test.app, '/users/me', admin.accessToken)).statusCode).toBe(200);
  });
});

describe('the last SUPER_ADMIN', () => {
  // These tests count SUPER_ADMINs, so each gets a database of its own.
  let isolated: TestApp;
  beforeEach(async () => {
    isolated = await buildTestApp();
  });
  afterEach(() => isolated.close());

  it('cannot remove their own SUPER_ADMIN role (409 LAST_SUPER_ADMIN)', async () => {
    const only = await createSignedInSuperAdmin(isolated);
    expectError(await removeRole(isolated, only.accessToken, only.userId, 'SUPER_ADMIN'), 409, 'LAST_SUPER_ADMIN');
    expect((await accessOf(isolated, only.userId)).roles).toContain('SUPER_ADMIN');
    // Still able to manage roles.
    const target = await createVerifiedUser(isolated);
    expect(
      (await post(isolated.app, '/auth/roles/assign', { userId: target.userId, roleName: 'ADMIN' }, only.accessToken))
        .statusCode,
    ).toBe(200);
  });

  it('survives two SUPER_ADMINs removing each other at the same moment', async () => {
    const alice = await createSignedInSuperAdmin(isolated);
    const bob = await createSignedInSuperAdmin(isolated);
    const responses = await Promise.all([
      removeRole(isolated, alice.accessToken, bob.userId, 'SUPER_ADMIN'),
      removeRole(isolated, bob.accessToken, alice.userId, 'SUPER_ADMIN'),
    ]);
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    // The loser is refused by the last-SUPER_ADMIN rule when both requests were
    // authorized before either removal committed, or by the live-role check
    // (it is no longer a SUPER_ADMIN) when the winner committed first.
    const refused = responses.find((response) => response.statusCode !== 200);
    expect(['409 LAST_SUPER_ADMIN', '403 FORBIDDEN']).toContain(`${refused?.statusCode} ${refused?.json().code}`);
    expect(await createRoleRepository(isolated.db).countUsersWithRole('SUPER_ADMIN')).toBe(1);
    // The survivor is the one whose removal went through.
    const survivor = statuses[0] === 200 ? alice : bob;
    expect((await accessOf(isolated, survivor.userId)).roles).toContain('SUPER_ADMIN');
  });
});

describe('GET /auth/roles/user/:userId', () => {
  it('needs role.read: a USER gets 403, an ADMIN gets the roles and permissions', async () => {
    const user = await createVerifiedUser(test);
    const admin = await createAdmin(test);
    const target = await createVerifiedUser(test);
    const refused = await get(test.app, `/auth/roles/user/${target.userId}`, user.accessToken);
    expectError(refused, 403, 'FORBIDDEN');
    // Not even their own: the seed requires role.read.
    expectError(await get(test.app, `/auth/roles/user/${user.userId}`, user.accessToken), 403, 'FORBIDDEN');

    const response = await get(test.app, `/auth/roles/user/${target.userId}`, admin.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ userId: target.userId, roles: ['USER'], permissions: userPermissions });
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const admin = await createAdmin(test);
    expectError(await get(test.app, '/auth/roles/user/2000000000', admin.accessToken), 404, 'USER_NOT_FOUND');
    for (const id of ['abc', '0', '-1']) {
      expectError(await get(test.app, `/auth/roles/user/${id}`, admin.accessToken), 400, 'VALIDATION_FAILED');
    }
  });

  it('shows a SUPER_ADMIN every permission there is', async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const body = (await get(test.app, `/auth/roles/user/${superAdmin.userId}`, superAdmin.accessToken)).json();
    expect(body.roles).toEqual(['SUPER_ADMIN', 'USER']);
    expect(body.permissions).toEqual(
      expect.arrayContaining([...adminPermissions, 'role.assign', 'role.create', 'permission.manage']),
    );
  });
});

describe('audit trail of role changes', () => {
  it("records 'role.assigned' and 'role.removed' with actor, target and IP", async () => {
    const superAdmin = await createSignedInSuperAdmin(test);
    const target = await createVerifiedUser(test);
    const change = { userId: target.userId, roleName: 'ADMIN' };
    expect((await post(test.app, '/auth/roles/assign', change, superAdmin.accessToken)).statusCode).toBe(200);
    expect((await removeRole(test, superAdmin.accessToken, target.userId, 'ADMIN')).statusCode).toBe(200);

    const rows = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.targetUserId, target.userId), eq(auditEvents.actorUserId, superAdmin.userId)));
    const expected = {
      actorUserId: superAdmin.userId,
      targetUserId: target.userId,
      ipAddress: '127.0.0.1',
      details: { roleName: 'ADMIN' },
    };
    expect(rows.filter((row) => row.action === 'role.assigned')).toEqual([expect.objectContaining(expected)]);
    expect(rows.filter((row) => row.action === 'role.removed')).toEqual([expect.objectContaining(expected)]);
  });

  it('records nothing for a refused change', async () => {
    const admin = await createAdmin(test);
    const target = await createVerifiedUser(test);
    await post(test.app, '/auth/roles/assign', { userId: target.userId, roleName: 'ADMIN' }, admin.accessToken);
    const rows = await test.db.select().from(auditEvents).where(eq(auditEvents.targetUserId, target.userId));
    expect(rows.filter((row) => row.action.startsWith('role.'))).toEqual([]);
  });
});
