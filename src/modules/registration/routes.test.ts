import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  codeFrom,
  createVerifiedUser,
  expectError,
  post,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { oneTimeCodes, users } from '../../db/schema.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

describe('POST /auth/register and /auth/signup', () => {
  it.each(['/auth/register', '/auth/signup'])(
    '%s creates an unverified USER and emails a 6-digit code',
    async (path) => {
      const email = uniqueEmail();
      const response = await post(test.app, path, {
        email: `  ${email.toUpperCase()} `,
        password: 'SecurePass123!',
        firstName: 'John',
        lastName: 'Doe',
        accountType: 'INDIVIDUAL',
      });
      expect(response.statusCode).toBe(201);
      expect(response.json()).toEqual({ message: expect.any(String), otp: expect.stringMatching(/^\d{6}$/) });
      const mail = await test.lastMailTo(email);
      expect(codeFrom(mail?.text)).toBe(response.json().otp);

      const [row] = await test.db.select().from(users).where(eq(users.email, email));
      expect(row).toMatchObject({ firstName: 'John', lastName: 'Doe', emailVerifiedAt: null });
      expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
      // The code is stored only as a MAC.
      const codes = await test.db
        .select()
        .from(oneTimeCodes)
        .where(eq(oneTimeCodes.userId, row?.id ?? 0));
      expect(codes.map((code) => code.codeHash)).not.toContain(response.json().otp);
    },
  );

  it('answers an existing address exactly like a new one, and tells the owner instead of sending a code', async () => {
    const { email } = await createVerifiedUser(test);
    test.clock.advanceSeconds(60);
    const again = await post(test.app, '/auth/register', { email, password: 'another long password' });
    const fresh = await post(test.app, '/auth/register', { email: uniqueEmail(), password: 'another long password' });
    expect(again.statusCode).toBe(fresh.statusCode);
    expect(Object.keys(again.json()).sort()).toEqual(Object.keys(fresh.json()).sort());
    expect(again.json().message).toBe(fresh.json().message);
    expect((await test.lastMailTo(email))?.subject).toMatch(/tried to create an account/);
    // The stored password did not change.
    const login = await post(test.app, '/auth/login', { email, password: strongPassword });
    expect(login.statusCode).toBe(200);
  });

  it('rejects common passwords and passwords outside 8..128 characters', async () => {
    expectError(
      await post(test.app, '/auth/register', { email: uniqueEmail(), password: 'password1' }),
      400,
      'PASSWORD_TOO_COMMON',
    );
    expectError(
      await post(test.app, '/auth/register', { email: uniqueEmail(), password: 'short' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await post(test.app, '/auth/register', { email: uniqueEmail(), password: 'x'.repeat(200) }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('rejects invalid emails and fields the client may not set', async () => {
    expectError(
      await post(test.app, '/auth/register', { email: 'not-an-email', password: strongPassword }),
      400,
      'VALIDATION_FAILED',
    );
    for (const extra of [{ roles: ['SUPER_ADMIN'] }, { emailVerified: true }, { id: 1 }]) {
      const response = await post(test.app, '/auth/register', {
        email: uniqueEmail(),
        password: strongPassword,
        ...extra,
      });
      expectError(response, 400, 'VALIDATION_FAILED');
    }
  });

  it('creates exactly one account for 20 concurrent registrations of one email', async () => {
    const email = uniqueEmail('race');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post(test.app, '/auth/register', { email, password: strongPassword })),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.every((status) => status === 201 || status === 429)).toBe(true);
    expect(statuses).toContain(201);
    const rows = await test.db.select().from(users).where(eq(users.email, email));
    expect(rows).toHaveLength(1);
  });
});

describe('POST /auth/verify-email and /auth/email/verify', () => {
  async function register() {
    const email = uniqueEmail();
    await post(test.app, '/auth/register', { email, password: strongPassword });
    return { email, code: codeFrom((await test.lastMailTo(email))?.text) };
  }

  it.each(['/auth/verify-email', '/auth/email/verify'])(
    '%s verifies and returns the seed sign-in body',
    async (path) => {
      const { email, code } = await register();
      const response = await post(test.app, path, {
        email,
        otp: code,
        deviceInfo: { deviceName: 'iPhone 13', platform: 'iOS', appVersion: '1.0.0' },
      });
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json();
      expect(body).toMatchObject({
        user: { email, emailVerified: true, roles: ['USER'] },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        sessionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
      expect(body.user).not.toHaveProperty('passwordHash');
      // The code works once.
      expectError(await post(test.app, path, { email, otp: code }), 400, 'OTP_INVALID');
    },
  );

  it('refuses a wrong code, an unknown email and an expired code', async () => {
    const { email, code } = await register();
    const wrong = code === '000000' ? '111111' : '000000';
    expectError(await post(test.app, '/auth/verify-email', { email, otp: wrong }), 400, 'OTP_INVALID');
    expectError(await post(test.app, '/auth/verify-email', { email: uniqueEmail(), otp: code }), 400, 'OTP_INVALID');
    test.clock.advanceSeconds(5 * 60 + 1);
    expectError(await post(test.app, '/auth/verify-email', { email, otp: code }), 400, 'OTP_EXPIRED');
  });

  it('voids the code after 10 concurrent wrong guesses, even for the right code', async () => {
    const { email, code } = await register();
    const wrong = code === '000000' ? '111111' : '000000';
    const guesses = await Promise.all(
      Array.from({ length: 10 }, () => post(test.app, '/auth/verify-email', { email, otp: wrong })),
    );
    const codes = guesses.map((guess) => guess.json().code);
    expect(codes.filter((value) => value === 'OTP_INVALID')).toHaveLength(5);
    expect(codes.filter((value) => value === 'OTP_ATTEMPTS_EXCEEDED')).toHaveLength(5);
    expectError(await post(test.app, '/auth/verify-email', { email, otp: code }), 400, 'OTP_ATTEMPTS_EXCEEDED');
  });

  it('rejects malformed codes before looking anything up', async () => {
    const { email } = await register();
    expectError(await post(test.app, '/auth/verify-email', { email, otp: '12345' }), 400, 'VALIDATION_FAILED');
    expectError(await post(test.app, '/auth/verify-email', { email, otp: 123456 }), 400, 'VALIDATION_FAILED');
  });
});

describe('POST /auth/resend-otp and /auth/email/send-verification', () => {
  it.each(['/auth/resend-otp', '/auth/email/send-verification'])(
    '%s sends a new code and voids the old one',
    async (path) => {
      const email = uniqueEmail();
      await post(test.app, '/auth/register', { email, password: strongPassword });
      const first = codeFrom((await test.lastMailTo(email))?.text);
      test.clock.advanceSeconds(31);
      const response = await post(test.app, path, { email });
      expect(response.statusCode).toBe(200);
      const second = codeFrom((await test.lastMailTo(email))?.text);
      expect(response.json().otp).toBe(second);
      if (first !== second) {
        expectError(await post(test.app, '/auth/verify-email', { email, otp: first }), 400, 'OTP_INVALID');
      }
      expect((await post(test.app, '/auth/verify-email', { email, otp: second })).statusCode).toBe(200);
    },
  );

  it('answers unknown and verified addresses like pending ones, without sending them a code', async () => {
    const { email: verified } = await createVerifiedUser(test);
    const mailsBefore = test.mailbox.to(verified).length;
    test.clock.advanceSeconds(31);
    const unknown = uniqueEmail();
    const pending = uniqueEmail();
    await post(test.app, '/auth/register', { email: pending, password: strongPassword });
    test.clock.advanceSeconds(31);
    const answers = await Promise.all(
      [unknown, verified, pending].map((email) => post(test.app, '/auth/resend-otp', { email })),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.json().message)).size).toBe(1);
    await test.platform.outbox.drain();
    expect(test.mailbox.to(unknown)).toHaveLength(0);
    expect(test.mailbox.to(verified)).toHaveLength(mailsBefore);
  });

  it('keeps a cooldown and an hourly cap per address without saying so: register and resend answer as for a new address', async () => {
    const email = uniqueEmail('pending');
    const mailsTo = async () => {
      await test.platform.outbox.drain();
      return test.mailbox.to(email).length;
    };
    const first = await post(test.app, '/auth/register', { email, password: strongPassword });
    expect(first.statusCode).toBe(201);
    expect(await mailsTo()).toBe(1);

    // Within the cooldown: the same answers as for an address nobody has used, and nothing sent.
    const fresh = await post(test.app, '/auth/register', { email: uniqueEmail('fresh'), password: strongPassword });
    const again = await post(test.app, '/auth/register', { email, password: strongPassword });
    const resent = await post(test.app, '/auth/resend-otp', { email });
    expect([again.statusCode, resent.statusCode]).toEqual([201, 200]);
    expect(Object.keys(again.json()).sort()).toEqual(Object.keys(fresh.json()).sort());
    expect(again.json().message).toBe(fresh.json().message);
    expect(resent.json().message).toBe(fresh.json().message);
    expect(again.headers['retry-after']).toBeUndefined();
    expect(await mailsTo()).toBe(1);

    // Five sends an hour at most, each after the cooldown; the sixth is answered and not sent.
    for (let sent = 2; sent <= 5; sent += 1) {
      test.clock.advanceSeconds(31);
      expect((await post(test.app, '/auth/resend-otp', { email })).statusCode).toBe(200);
      expect(await mailsTo()).toBe(sent);
    }
    test.clock.advanceSeconds(31);
    expect((await post(test.app, '/auth/resend-otp', { email })).statusCode).toBe(200);
    expect(await mailsTo()).toBe(5);
    test.clock.advanceSeconds(3600);
    expect((await post(test.app, '/auth/resend-otp', { email })).statusCode).toBe(200);
    expect(await mailsTo()).toBe(6);
  });
});
