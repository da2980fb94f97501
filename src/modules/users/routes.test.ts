import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createVerifiedUser,
  expectError,
  get,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { auditEvents, users } from '../../db/schema.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

function put(app: FastifyInstance, url: string, payload: unknown, accessToken?: string) {
  return app.inject({
    method: 'PUT',
    url,
    payload: payload as Record<string, unknown>,
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
}

async function userRow(id: number) {
  const [row] = await test.db.select().from(users).where(eq(users.id, id));
  if (!row) throw new Error(`user ${id} is missing`);
  return row;
}

const userPermissions = ['user.create_own', 'user.delete_own', 'user.read_own', 'user.update_own'];

describe('GET /auth/profile and /users/me', () => {
  it.each(['/auth/profile', '/users/me'])('%s returns the seed profile of the caller', async (path) => {
    const email = uniqueEmail('profile');
    const { userId, accessToken } = await createVerifiedUser(test, email);
    const response = await get(test.app, path, accessToken);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      id: userId,
      email,
      firstName: null,
      lastName: null,
      roles: ['USER'],
      emailVerified: true,
      phoneVerified: false,
    });
    expect([...body.permissions].sort()).toEqual(userPermissions);
    expect(body).not.toHaveProperty('passwordHash');
    expect(response.body).not.toMatch(/argon2/);
  });

  it('answers each caller with their own profile', async () => {
    const alice = await createVerifiedUser(test);
    const bob = await createVerifiedUser(test);
    expect((await get(test.app, '/users/me', alice.accessToken)).json().id).toBe(alice.userId);
    expect((await get(test.app, '/users/me', bob.accessToken)).json().id).toBe(bob.userId);
  });

  it.each(['/auth/profile', '/users/me'])('%s answers 401 without a token', async (path) => {
    expectError(await get(test.app, path), 401, 'UNAUTHORIZED');
  });
});

describe('PUT /users/me', () => {
  it('updates the names and an E.164 phone number and returns the profile', async () => {
    const { userId, accessToken, email } = await createVerifiedUser(test);
    const response = await put(
      test.app,
      '/users/me',
      { firstName: 'Ada', lastName: 'Lovelace', phoneNumber: '+14155550123' },
      accessToken,
    );
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      id: userId,
      email,
      firstName: 'Ada',
      lastName: 'Lovelace',
      phoneNumber: '+14155550123',
      phoneVerified: false,
      roles: ['USER'],
    });
    expect([...body.permissions].sort()).toEqual(userPermissions);
    expect(body).not.toHaveProperty('passwordHash');

    // Stored, not just echoed.
    expect((await get(test.app, '/users/me', accessToken)).json()).toMatchObject({
      firstName: 'Ada',
      lastName: 'Lovelace',
      phoneNumber: '+14155550123',
    });
    // One field at a time leaves the others alone.
    const renamed = await put(test.app, '/users/me', { lastName: 'King' }, accessToken);
    expect(renamed.json()).toMatchObject({ firstName: 'Ada', lastName: 'King', phoneNumber: '+14155550123' });
  });

  it('removes the phone number when it is set to null', async () => {
    const { userId, accessToken } = await createVerifiedUser(test);
    await put(test.app, '/users/me', { phoneNumber: '+447700900123' }, accessToken);
    const response = await put(test.app, '/users/me', { phoneNumber: null }, accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ phoneNumber: null, phoneVerified: false });
    expect((await userRow(userId)).phoneNumber).toBeNull();
  });

  it.each([
    ['no plus sign', '14155550123'],
    ['a leading zero country code', '+04155550123'],
    ['spaces', '+1 415 555 0123'],
    ['dashes', '+1-415-555-0123'],
    ['letters', '+1415555CALL'],
    ['too short', '+12345'],
    ['more than 15 digits', '+1234567890123456'],
    ['a number instead of a string', 14155550123],
    ['an empty string', ''],
  ])('refuses a phone number with %s with 400 VALIDATION_FAILED', async (_name, phoneNumber) => {
    const { userId, accessToken } = await createVerifiedUser(test);
    expectError(await put(test.app, '/users/me', { phoneNumber }, accessToken), 400, 'VALIDATION_FAILED');
    expect((await userRow(userId)).phoneNumber).toBeNull();
  });

  it('keeps a verified phone number verified when it is sent again, and unverifies a new one', async () => {
    const { userId, accessToken } = await createVerifiedUser(test);
    await put(test.app, '/users/me', { phoneNumber: '+14155550123' }, accessToken);
    await test.db.update(users).set({ phoneVerifiedAt: test.clock.now() }).where(eq(users.id, userId));
    expect((await get(test.app, '/users/me', accessToken)).json().phoneVerified).toBe(true);

    const same = await put(test.app, '/users/me', { phoneNumber: '+14155550123', firstName: 'Grace' }, accessToken);
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ phoneNumber: '+14155550123', phoneVerified: true, firstName: 'Grace' });
    expect((await userRow(userId)).phoneVerifiedAt).not.toBeNull();

    // A name change alone does not touch the verification either.
    expect((await put(test.app, '/users/me', { lastName: 'Hopper' }, accessToken)).json().phoneVerified).toBe(true);

    const changed = await put(test.app, '/users/me', { phoneNumber: '+14155550199' }, accessToken);
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ phoneNumber: '+14155550199', phoneVerified: false });
    expect((await userRow(userId)).phoneVerifiedAt).toBeNull();
    expect((await get(test.app, '/auth/profile', accessToken)).json().phoneVerified).toBe(false);
  });

  it.each([
    ['email', { email: 'someone.else@example.com' }],
    ['roles', { roles: ['SUPER_ADMIN'] }],
    ['permissions', { permissions: ['user.delete'] }],
    ['id', { id: 1 }],
    ['emailVerified', { emailVerified: false }],
    ['phoneVerified', { phoneVerified: true }],
    ['passwordHash', { passwordHash: '$argon2id$v=19$m=1024,t=1,p=1$AAAA$BBBB' }],
    ['lockedAt', { lockedAt: null }],
  ])('refuses %s next to a valid field with 400 VALIDATION_FAILED and changes nothing', async (_field, extra) => {
    const { userId, accessToken, email } = await createVerifiedUser(test);
    const before = (await get(test.app, '/users/me', accessToken)).json();
    const rowBefore = await userRow(userId);

    const response = await put(test.app, '/users/me', { firstName: 'Mallory', ...extra }, accessToken);
    expectError(response, 400, 'VALIDATION_FAILED');

    const after = await get(test.app, '/users/me', accessToken);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toEqual(before);
    expect(after.json()).toMatchObject({ email, firstName: null, roles: ['USER'] });
    expect(await userRow(userId)).toEqual(rowBefore);
  });

  it.each([
    ['an empty object', {}],
    ['an empty first name', { firstName: '' }],
    ['a 101-character last name', { lastName: 'x'.repeat(101) }],
    ['a null first name', { firstName: null }],
    ['a number last name', { lastName: 42 }],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_name, body) => {
    const { userId, accessToken } = await createVerifiedUser(test);
    const rowBefore = await userRow(userId);
    expectError(await put(test.app, '/users/me', body, accessToken), 400, 'VALIDATION_FAILED');
    expect(await userRow(userId)).toEqual(rowBefore);
  });

  it('refuses names made only of whitespace instead of storing them as empty strings', async () => {
    const { userId, accessToken } = await createVerifiedUser(test);
    await put(test.app, '/users/me', { firstName: 'Ada', lastName: 'Lovelace' }, accessToken);
    for (const body of [{ firstName: '   ' }, { lastName: ' \t ' }]) {
      expectError(await put(test.app, '/users/me', body, accessToken), 400, 'VALIDATION_FAILED');
    }
    expect(await userRow(userId)).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('answers 401 without a token, or with a token whose session ended, and changes nothing', async () => {
    const { userId, accessToken } = await createVerifiedUser(test);
    expectError(await put(test.app, '/users/me', { firstName: 'Nobody' }), 401, 'UNAUTHORIZED');
    expectError(await put(test.app, '/users/me', { firstName: 'Nobody' }, 'not-a-token'), 401, 'UNAUTHORIZED');
    expect(
      (
        await test.app.inject({
          method: 'POST',
          url: '/auth/logout',
          headers: { authorization: `Bearer ${accessToken}` },
        })
      ).statusCode,
    ).toBe(200);
    expectError(await put(test.app, '/users/me', { firstName: 'Nobody' }, accessToken), 401, 'UNAUTHORIZED');
    expect((await userRow(userId)).firstName).toBeNull();
  });

  it('writes a profile.updated audit event naming the changed fields', async () => {
    const { userId, accessToken } = await createVerifiedUser(test);
    const response = await put(test.app, '/users/me', { firstName: 'Alan', phoneNumber: '+14155550100' }, accessToken);
    expect(response.statusCode).toBe(200);
    const events = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'profile.updated'), eq(auditEvents.targetUserId, userId)));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actorUserId: userId,
      targetUserId: userId,
      ipAddress: expect.any(String),
      details: { fields: expect.arrayContaining(['firstName', 'phoneNumber']) },
    });
    expect(events[0]?.details).toEqual({ fields: expect.any(Array) });
    expect((events[0]?.details as { fields: string[] } | undefined)?.fields).toHaveLength(2);

    // A refused update writes nothing.
    await put(test.app, '/users/me', { firstName: 'Alan', roles: ['ADMIN'] }, accessToken);
    const after = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'profile.updated'), eq(auditEvents.targetUserId, userId)));
    expect(after).toHaveLength(1);
  });
});
