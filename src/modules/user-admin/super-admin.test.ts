import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createVerifiedUser,
  expectError,
  post,
  superAdminDeps,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { auditEvents, users } from '../../db/schema.js';
import { createRoleRepository } from '../roles/repository.js';
import { createSuperAdmin, SuperAdminError } from './super-admin.js';

const passphrase = 'a long unusual passphrase';

async function usersWithEmail(test: TestApp, email: string) {
  return test.db.select().from(users).where(eq(users.email, email));
}

async function superAdminCount(test: TestApp) {
  return createRoleRepository(test.db).countUsersWithRole('SUPER_ADMIN');
}

describe('start-up bootstrap (onlyIfNone) on a database without a super admin', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await buildTestApp();
  });
  afterAll(() => test.close());

  it('refuses to promote an account someone already registered with that email', async () => {
    const { email, userId } = await createVerifiedUser(test);
    await expect(
      createSuperAdmin(superAdminDeps(test), { email, password: passphrase }, { onlyIfNone: true }),
    ).rejects.toThrow(SuperAdminError);
    expect(await createRoleRepository(test.db).findRoleNames(userId)).toEqual(['USER']);
    expect(await superAdminCount(test)).toBe(0);
  });

  it('creates a verified USER + SUPER_ADMIN once; later starts leave everything as it is', async () => {
    const email = uniqueEmail('admin');
    const outcome = await createSuperAdmin(
      superAdminDeps(test),
      { email: `  ${email.toUpperCase()} `, password: passphrase },
      { onlyIfNone: true },
    );
    expect(outcome).toBe('created');
    const [admin] = await usersWithEmail(test, email);
    expect(admin?.emailVerifiedAt).toBeInstanceOf(Date);
    expect(admin?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await createRoleRepository(test.db).findRoleNames(admin?.id ?? 0)).toEqual(['SUPER_ADMIN', 'USER']);

    const audit = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'super_admin.created'), eq(auditEvents.targetUserId, admin?.id ?? 0)));
    expect(audit).toHaveLength(1);
    expect(audit[0]?.details).toEqual({ via: 'bootstrap' });

    // A restart, even with another address configured, creates nothing.
    const other = uniqueEmail('admin');
    expect(
      await createSuperAdmin(superAdminDeps(test), { email: other, password: passphrase }, { onlyIfNone: true }),
    ).toBe('already-present');
    expect(await usersWithEmail(test, other)).toEqual([]);
    expect(await superAdminCount(test)).toBe(1);
  });
});

describe('several instances bootstrapping the same admin at once', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await buildTestApp();
  });
  afterAll(() => test.close());

  it('creates exactly one admin and every instance starts', async () => {
    // The window is narrow, so the race is run several times on an emptied database.
    for (let round = 0; round < 5; round += 1) {
      const email = uniqueEmail('admin');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () =>
          createSuperAdmin(superAdminDeps(test), { email, password: passphrase }, { onlyIfNone: true }),
        ),
      );
      const values = outcomes.map((outcome) =>
        outcome.status === 'fulfilled' ? outcome.value : String(outcome.reason),
      );
      expect(values.sort()).toEqual([...Array(7).fill('already-present'), 'created']);
      expect(await usersWithEmail(test, email)).toHaveLength(1);
      expect(await superAdminCount(test)).toBe(1);
      await test.db.delete(users).where(eq(users.email, email));
    }
  });
});

describe('create-super-admin (CLI mode) and signing in', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await buildTestApp();
  });
  afterAll(() => test.close());

  it('creates an admin who can sign in through the app and holds SUPER_ADMIN', async () => {
    const email = uniqueEmail('admin');
    expect(await createSuperAdmin(superAdminDeps(test), { email, password: passphrase }, { onlyIfNone: false })).toBe(
      'created',
    );
    const login = await post(test.app, '/auth/login', { email, password: passphrase });
    expect(login.statusCode).toBe(200);
    expect(login.json()).toMatchObject({
      user: { email, emailVerified: true },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
    });
    expect(login.json().user.roles).toContain('SUPER_ADMIN');
    expectError(
      await post(test.app, '/auth/login', { email, password: 'not the passphrase' }),
      401,
      'INVALID_CREDENTIALS',
    );

    const [admin] = await usersWithEmail(test, email);
    const [audit] = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'super_admin.created'), eq(auditEvents.targetUserId, admin?.id ?? 0)));
    expect(audit?.details).toEqual({ via: 'cli' });
  });

  it('adds another super admin when asked explicitly, but never reuses an existing email', async () => {
    const second = uniqueEmail('admin');
    expect(
      await createSuperAdmin(superAdminDeps(test), { email: second, password: passphrase }, { onlyIfNone: false }),
    ).toBe('created');
    await expect(
      createSuperAdmin(superAdminDeps(test), { email: second, password: passphrase }, { onlyIfNone: false }),
    ).rejects.toThrow(/already exists/);

    const { email, userId } = await createVerifiedUser(test);
    const before = await superAdminCount(test);
    await expect(
      createSuperAdmin(
        superAdminDeps(test),
        { email: email.toUpperCase(), password: passphrase },
        { onlyIfNone: false },
      ),
    ).rejects.toThrow(SuperAdminError);
    expect(await createRoleRepository(test.db).findRoleNames(userId)).toEqual(['USER']);
    expect(await superAdminCount(test)).toBe(before);
  });

  it.each([
    ['too short', 'short'],
    ['too common', 'Password1'],
    ['too common', 'qwertyuiop'],
    ['too long', 'x'.repeat(129)],
  ])('refuses a password that is %s: %s', async (_, password) => {
    const email = uniqueEmail('admin');
    await expect(createSuperAdmin(superAdminDeps(test), { email, password }, { onlyIfNone: false })).rejects.toThrow(
      SuperAdminError,
    );
    expect(await usersWithEmail(test, email)).toEqual([]);
  });

  it('refuses an address that is not an email', async () => {
    await expect(
      createSuperAdmin(superAdminDeps(test), { email: 'not-an-email', password: passphrase }, { onlyIfNone: false }),
    ).rejects.toThrow(SuperAdminError);
  });
});
