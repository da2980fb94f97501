import { and, eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  expectError,
  get,
  post,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { auditEvents } from '../../db/schema.js';

const wrongPassword = 'not the right password at all';
const lockedSubject = 'Sign-in to your account is paused';
const failuresSubject = 'Failed sign-in attempts before a successful sign-in';
const fifteenMinutes = 15 * 60;

// `test` keeps the default threshold (10); `quick` locks after 3 so most cases stay short.
const quickThreshold = 3;
let test: TestApp;
let quick: TestApp;
beforeAll(async () => {
  [test, quick] = await Promise.all([
    buildTestApp(),
    buildTestApp({ env: { LOCKOUT_THRESHOLD: String(quickThreshold) } }),
  ]);
});
afterAll(async () => {
  await Promise.all([test?.close(), quick?.close()]);
});

function login(app: TestApp, email: string, password = strongPassword) {
  return post(app.app, '/auth/login', { email, password });
}

function retryAfter(response: LightMyRequestResponse): number {
  return Number(response.headers['retry-after']);
}

/** What a caller can observe about one answer. */
function observed(response: LightMyRequestResponse) {
  const body = response.json();
  return {
    status: response.statusCode,
    code: body.code,
    message: body.message,
    retryAfter: response.headers['retry-after'] ?? null,
  };
}

async function failTimes(app: TestApp, email: string, times: number) {
  for (let attempt = 1; attempt <= times; attempt += 1) {
    expectError(await login(app, email, wrongPassword), 401, 'INVALID_CREDENTIALS');
  }
}

async function expectLocked(app: TestApp, email: string, password = strongPassword) {
  const response = await login(app, email, password);
  expectError(response, 423, 'ACCOUNT_LOCKED');
  expect(response.body).not.toMatch(/accessToken|refreshToken/);
  return retryAfter(response);
}

async function subjectsTo(app: TestApp, email: string) {
  await app.platform.outbox.drain();
  return app.mailbox.to(email).map((message) => message.subject);
}

describe('lockout at the default threshold (10)', () => {
  it('locks after 10 wrong passwords: even the right password gets 423 ACCOUNT_LOCKED with Retry-After of 15 minutes', async () => {
    const { email } = await createVerifiedUser(test);
    await failTimes(test, email, 10);
    const seconds = await expectLocked(test, email);
    expect(seconds).toBeGreaterThanOrEqual(fifteenMinutes - 1);
    expect(seconds).toBeLessThanOrEqual(fifteenMinutes);
    expect((await login(test, email)).json().message).toMatch(/failed sign-ins/i);
  });

  it('answers an unknown email exactly like a known one, attempt by attempt', async () => {
    const { email: known } = await createVerifiedUser(test);
    const unknown = uniqueEmail('nobody');
    const answers = { known: [] as unknown[], unknown: [] as unknown[] };
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      // The 11th and 12th use the right password for the known account.
      const password = attempt > 10 ? strongPassword : wrongPassword;
      answers.known.push(observed(await login(test, known, password)));
      answers.unknown.push(observed(await login(test, unknown, password)));
    }
    expect(answers.unknown).toEqual(answers.known);
    expect(answers.known.slice(0, 10)).toEqual(
      Array.from({ length: 10 }, () => expect.objectContaining({ status: 401, code: 'INVALID_CREDENTIALS' })),
    );
    expect(answers.known.slice(10)).toEqual([
      expect.objectContaining({ status: 423, code: 'ACCOUNT_LOCKED' }),
      expect.objectContaining({ status: 423, code: 'ACCOUNT_LOCKED' }),
    ]);
  });

  it('counts 30 parallel wrong passwords atomically: exactly 10 INVALID_CREDENTIALS, 20 ACCOUNT_LOCKED, one lockout', async () => {
    const { email, userId } = await createVerifiedUser(test);
    const responses = await Promise.all(Array.from({ length: 30 }, () => login(test, email, wrongPassword)));
    const codes = responses.map((response) => response.json().code);
    expect(codes.filter((code) => code === 'INVALID_CREDENTIALS')).toHaveLength(10);
    expect(codes.filter((code) => code === 'ACCOUNT_LOCKED')).toHaveLength(20);
    for (const response of responses.filter((candidate) => candidate.statusCode === 423)) {
      expect(retryAfter(response)).toBeGreaterThan(0);
    }
    await expectLocked(test, email);
    const lockouts = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'login.locked_out'), eq(auditEvents.targetUserId, userId)));
    expect(lockouts).toHaveLength(1);
    expect((await subjectsTo(test, email)).filter((subject) => subject === lockedSubject)).toHaveLength(1);
  });

  it('does not lock an account for 30 parallel sign-ins with the right password: each waits for its turn and succeeds', async () => {
    const { email } = await createVerifiedUser(test);
    const responses = await Promise.all(Array.from({ length: 30 }, () => login(test, email)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(30).fill(200));
    // Nothing was counted against the address: nine wrong passwords still leave it open.
    await failTimes(test, email, 9);
    expect((await login(test, email)).statusCode).toBe(200);
  });

  it('resets the count on success: 9 failures, a success, 9 failures leave the account open', async () => {
    const { email } = await createVerifiedUser(test);
    await failTimes(test, email, 9);
    expect((await login(test, email)).statusCode).toBe(200);
    await failTimes(test, email, 9);
    expect((await login(test, email)).statusCode).toBe(200);
  });

  it('emails the owner when a success follows 3 or more failures, and not after 2', async () => {
    const { email: warned } = await createVerifiedUser(test);
    await failTimes(test, warned, 3);
    expect((await login(test, warned)).statusCode).toBe(200);
    expect(await subjectsTo(test, warned)).toContain(failuresSubject);

    const { email: quiet } = await createVerifiedUser(test);
    await failTimes(test, quiet, 2);
    expect((await login(test, quiet)).statusCode).toBe(200);
    expect(await subjectsTo(test, quiet)).not.toContain(failuresSubject);
  });
});

describe(`lockout with LOCKOUT_THRESHOLD=${quickThreshold}`, () => {
  it('counts case and whitespace variants of an address as one identifier', async () => {
    const { email } = await createVerifiedUser(quick);
    for (const variant of [email.toUpperCase(), `  ${email} `, email]) {
      expectError(await login(quick, variant, wrongPassword), 401, 'INVALID_CREDENTIALS');
    }
    await expectLocked(quick, email);
    await expectLocked(quick, email.toUpperCase());
  });

  it('does not extend a lock when attempts continue during it; Retry-After keeps counting down', async () => {
    const { email } = await createVerifiedUser(quick);
    await failTimes(quick, email, quickThreshold);
    expect(await expectLocked(quick, email, wrongPassword)).toBe(fifteenMinutes);
    quick.clock.advanceSeconds(300);
    expect(await expectLocked(quick, email, wrongPassword)).toBe(fifteenMinutes - 300);
    expect(await expectLocked(quick, email)).toBe(fifteenMinutes - 300);
    quick.clock.advanceSeconds(599);
    expect(await expectLocked(quick, email, wrongPassword)).toBe(1);
    quick.clock.advanceSeconds(1);
    expect((await login(quick, email)).statusCode).toBe(200);
  });

  it('lets the right password in once the lock has expired', async () => {
    const { email } = await createVerifiedUser(quick);
    await failTimes(quick, email, quickThreshold);
    quick.clock.advanceSeconds(fifteenMinutes - 1);
    await expectLocked(quick, email);
    quick.clock.advanceSeconds(1);
    const signedIn = await login(quick, email);
    expect(signedIn.statusCode).toBe(200);
    expect((await get(quick.app, '/auth/profile', signedIn.json().accessToken)).statusCode).toBe(200);
  });

  it('doubles each further lock (15 min, 30 min, ...) up to 24 hours', async () => {
    const { email } = await createVerifiedUser(quick);
    const expected = [900, 1800, 3600, 7200, 14_400, 28_800, 57_600, 86_400, 86_400];
    const seen: number[] = [];
    for (const _ of expected) {
      await failTimes(quick, email, quickThreshold);
      const seconds = await expectLocked(quick, email, wrongPassword);
      seen.push(seconds);
      quick.clock.advanceSeconds(seconds);
    }
    expect(seen).toEqual(expected);
    expect((await login(quick, email)).statusCode).toBe(200);
  });

  it('emails the owner once when the lock starts, and writes a login.locked_out audit row', async () => {
    const { email, userId } = await createVerifiedUser(quick);
    await failTimes(quick, email, quickThreshold - 1);
    expect(await subjectsTo(quick, email)).not.toContain(lockedSubject);
    await failTimes(quick, email, 1);
    await expectLocked(quick, email);
    await expectLocked(quick, email, wrongPassword);

    const mail = await quick.lastMailTo(email);
    expect(mail?.subject).toBe(lockedSubject);
    expect(mail?.text).toMatch(/reset your password/i);
    expect((await subjectsTo(quick, email)).filter((subject) => subject === lockedSubject)).toHaveLength(1);

    const rows = await quick.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'login.locked_out'), eq(auditEvents.targetUserId, userId)));
    expect(rows).toEqual([expect.objectContaining({ targetUserId: userId, ipAddress: '127.0.0.1' })]);
  });

  it('an ADMIN unlock lifts the lockout at once', async () => {
    const admin = await createAdmin(quick);
    const { email, userId } = await createVerifiedUser(quick);
    await failTimes(quick, email, quickThreshold);
    await expectLocked(quick, email);

    const unlocked = await post(quick.app, `/admin/users/${userId}/unlock`, undefined, admin.accessToken);
    expect(unlocked.statusCode).toBe(200);
    expect((await login(quick, email)).statusCode).toBe(200);
  });

  it('a completed password reset lifts the lockout at once', async () => {
    const { email } = await createVerifiedUser(quick);
    await failTimes(quick, email, quickThreshold);
    await expectLocked(quick, email);

    expect((await post(quick.app, '/auth/password/reset-request', { email })).statusCode).toBe(200);
    const mail = await quick.lastMailTo(email);
    const token = /token=([^\s&]+)/.exec(mail?.text ?? '')?.[1];
    expect(token).toBeDefined();
    const newPassword = 'a completely new passphrase';
    const reset = await post(quick.app, '/auth/password/reset', {
      token: decodeURIComponent(token ?? ''),
      newPassword,
    });
    expect(reset.statusCode).toBe(200);
    expect((await login(quick, email, newPassword)).statusCode).toBe(200);
  });
});
