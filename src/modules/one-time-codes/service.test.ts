import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../../test/database.js';
import { createTestClock } from '../../../test/helpers.js';
import type { DatabaseHandle } from '../../db/database.js';
import { oneTimeCodes } from '../../db/schema.js';
import { AppError, type ErrorCode } from '../../errors.js';
import { createMetrics } from '../../platform/metrics.js';
import { createSecrets } from '../../platform/secrets.js';
import { createUserRepository } from '../users/repository.js';
import { createOneTimeCodeRepository } from './repository.js';
import { type CodeTarget, createOneTimeCodeService, type Send } from './service.js';

const config = { otpTtlSeconds: 300, otpMaxAttempts: 5, otpResendCooldownSeconds: 30, otpHourlyLimit: 5 };

let database: DatabaseHandle;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(() => drop());

/** A service on the shared database with its own clock, as one test's world. */
function setup() {
  const clock = createTestClock();
  const service = createOneTimeCodeService({
    codes: createOneTimeCodeRepository(database.db),
    secrets: createSecrets('one-time-code-test-secret-long-enough-0123456789'),
    clock,
    metrics: createMetrics(),
    config,
  });
  return { clock, service };
}

let counter = 0;
/** A unique address per call: the database (and its throttles) is shared by every test in the file. */
function uniqueAddress(prefix: string): string {
  counter += 1;
  return `${prefix}.${counter}.${Date.now()}@example.com`;
}

async function insertUser(email = uniqueAddress('otp-user')): Promise<number> {
  const row = await createUserRepository(database.db).insertUserIfEmailFree(
    {
      email,
      passwordHash: 'not-a-real-hash',
      firstName: null,
      lastName: null,
      accountType: 'INDIVIDUAL',
      emailVerifiedAt: null,
      createdAt: new Date('2026-01-01T00:00:00Z'),
    },
    ['USER'],
  );
  if (!row) throw new Error(`user ${email} already exists`);
  return row.id;
}

/** The AppError code a promise rejects with; fails the test when it resolves or throws something else. */
async function rejectionCode(promise: Promise<unknown>): Promise<ErrorCode> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  return (error as AppError).code;
}

/** Six digits that are not `code`. */
function otherCode(code: string, offset = 1): string {
  return String((Number(code) + offset) % 1_000_000).padStart(6, '0');
}

describe('one-time codes', () => {
  it('issues six digits and stores only a MAC of them', async () => {
    const { service } = setup();
    const userId = await insertUser();
    const target: CodeTarget = { userId, purpose: 'verify_email', channel: 'email' };

    const code = await service.issueCode(target, 'someone@example.com');

    expect(code).toMatch(/^\d{6}$/);
    const rows = await database.db.select().from(oneTimeCodes).where(eq(oneTimeCodes.userId, userId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ purpose: 'verify_email', channel: 'email', attempts: 0, maxAttempts: 5 });
    expect(rows[0]?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows[0])).not.toContain(code);
  });

  it('accepts the right code once; a second use is OTP_INVALID', async () => {
    const { service } = setup();
    const target: CodeTarget = { userId: await insertUser(), purpose: 'login', channel: 'email' };
    const code = await service.issueCode(target, 'someone@example.com');

    await expect(service.consumeCode(target, code)).resolves.toBeUndefined();
    expect(await rejectionCode(service.consumeCode(target, code))).toBe('OTP_INVALID');
  });

  it('refuses a wrong code with OTP_INVALID and still accepts the right one after it', async () => {
    const { service } = setup();
    const target: CodeTarget = { userId: await insertUser(), purpose: 'login', channel: 'email' };
    const code = await service.issueCode(target, 'someone@example.com');

    expect(await rejectionCode(service.consumeCode(target, otherCode(code)))).toBe('OTP_INVALID');
    await expect(service.consumeCode(target, code)).resolves.toBeUndefined();
  });

  it('binds a code to its purpose: the digits of a verification code do not sign in', async () => {
    const { service } = setup();
    const userId = await insertUser();
    const verify: CodeTarget = { userId, purpose: 'verify_email', channel: 'email' };
    const login: CodeTarget = { userId, purpose: 'login', channel: 'email' };
    const verifyCode = await service.issueCode(verify, 'someone@example.com');

    // Without an open login code, and then with one open beside it.
    expect(await rejectionCode(service.consumeCode(login, verifyCode))).toBe('OTP_INVALID');
    const loginCode = await service.issueCode(login, 'someone@example.com');
    if (loginCode !== verifyCode) {
      expect(await rejectionCode(service.consumeCode(login, verifyCode))).toBe('OTP_INVALID');
    }

    await expect(service.consumeCode(verify, verifyCode)).resolves.toBeUndefined();
    await expect(service.consumeCode(login, loginCode)).resolves.toBeUndefined();
  });

  it('binds a code to its channel: the digits sent by SMS are refused as an email code', async () => {
    const { service } = setup();
    const userId = await insertUser();
    const bySms: CodeTarget = { userId, purpose: 'two_factor', channel: 'sms' };
    const code = await service.issueCode(bySms, '+14155550100');

    expect(await rejectionCode(service.consumeCode({ ...bySms, channel: 'email' }, code))).toBe('OTP_INVALID');
    await expect(service.consumeCode(bySms, code)).resolves.toBeUndefined();
  });

  it("binds a code to its user: one user's digits are refused for another", async () => {
    const { service } = setup();
    const alice: CodeTarget = { userId: await insertUser(), purpose: 'login', channel: 'email' };
    const bob: CodeTarget = { userId: await insertUser(), purpose: 'login', channel: 'email' };
    const aliceCode = await service.issueCode(alice, 'alice@example.com');
    const bobCode = await service.issueCode(bob, 'bob@example.com');

    if (aliceCode !== bobCode) {
      expect(await rejectionCode(service.consumeCode(bob, aliceCode))).toBe('OTP_INVALID');
    }
    await expect(service.consumeCode(alice, aliceCode)).resolves.toBeUndefined();
    await expect(service.consumeCode(bob, bobCode)).resolves.toBeUndefined();
  });

  it('voids the previous code when a new one is issued', async () => {
    const { service } = setup();
    const target: CodeTarget = { userId: await insertUser(), purpose: 'verify_email', channel: 'email' };
    const first = await service.issueCode(target, 'someone@example.com');
    let second = await service.issueCode(target, 'someone@example.com');
    // One chance in a million that the digits repeat; a repeat would prove nothing.
    while (second === first) second = await service.issueCode(target, 'someone@example.com');

    expect(await rejectionCode(service.consumeCode(target, first))).toBe('OTP_INVALID');
    await expect(service.consumeCode(target, second)).resolves.toBeUndefined();
  });

  it('accepts a code just before otpTtlSeconds and refuses it with OTP_EXPIRED after', async () => {
    const { clock, service } = setup();
    const userId = await insertUser();
    const early: CodeTarget = { userId, purpose: 'verify_email', channel: 'email' };
    const late: CodeTarget = { userId, purpose: 'login', channel: 'email' };
    const earlyCode = await service.issueCode(early, 'someone@example.com');
    const lateCode = await service.issueCode(late, 'someone@example.com');

    clock.advanceSeconds(299);
    await expect(service.consumeCode(early, earlyCode)).resolves.toBeUndefined();
    clock.advanceSeconds(2);
    expect(await rejectionCode(service.consumeCode(late, lateCode))).toBe('OTP_EXPIRED');
  });

  it('spends exactly maxAttempts on concurrent wrong guesses, then refuses the right code', async () => {
    const { service } = setup();
    const target: CodeTarget = { userId: await insertUser(), purpose: 'login', channel: 'email' };
    const code = await service.issueCode(target, 'someone@example.com');

    const outcomes = await Promise.all(
      [1, 2, 3, 4, 5].map((offset) => rejectionCode(service.consumeCode(target, otherCode(code, offset)))),
    );

    expect(outcomes).toEqual(Array(5).fill('OTP_INVALID'));
    expect(await rejectionCode(service.consumeCode(target, code))).toBe('OTP_ATTEMPTS_EXCEEDED');
    const [row] = await database.db.select().from(oneTimeCodes).where(eq(oneTimeCodes.userId, target.userId));
    expect(row).toMatchObject({ attempts: 5, consumedAt: null });
  });

  it('never counts more than maxAttempts however many guesses race', async () => {
    const { service } = setup();
    const target: CodeTarget = { userId: await insertUser(), purpose: 'login', channel: 'email' };
    const code = await service.issueCode(target, 'someone@example.com');

    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, index) => rejectionCode(service.consumeCode(target, otherCode(code, index + 1)))),
    );

    expect(outcomes.filter((outcome) => outcome === 'OTP_INVALID')).toHaveLength(5);
    expect(outcomes.filter((outcome) => outcome === 'OTP_ATTEMPTS_EXCEEDED')).toHaveLength(7);
    const [row] = await database.db.select().from(oneTimeCodes).where(eq(oneTimeCodes.userId, target.userId));
    expect(row?.attempts).toBe(5);
  });
});

describe('send limits', () => {
  const email = (destination: string, purpose: Send['purpose']): Send => ({ channel: 'email', purpose, destination });

  /** The AppError reserveSend throws; fails the test when it lets the send go. */
  async function refusal(promise: Promise<void>): Promise<AppError> {
    const error = await promise.then(
      () => {
        throw new Error('expected the send to be refused');
      },
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }

  it('keeps a cooldown per destination and purpose', async () => {
    const { clock, service } = setup();
    const destination = uniqueAddress('cooldown');

    // Two purposes to one destination in the same second both go.
    expect(await service.tryReserveSend(email(destination, 'verify_email'))).toBeNull();
    expect(await service.tryReserveSend(email(destination, 'login'))).toBeNull();
    // The same purpose again waits out the cooldown.
    expect(await service.tryReserveSend(email(destination, 'verify_email'))).toEqual({ retryAfterSeconds: 30 });
    clock.advanceSeconds(10);
    expect(await service.tryReserveSend(email(destination, 'login'))).toEqual({ retryAfterSeconds: 20 });
    // Another destination is not held back by this one.
    expect(await service.tryReserveSend(email(uniqueAddress('cooldown-other'), 'verify_email'))).toBeNull();
    clock.advanceSeconds(20);
    expect(await service.tryReserveSend(email(destination, 'verify_email'))).toBeNull();
  });

  it('answers a send inside the cooldown with TOO_MANY_REQUESTS and retryAfterSeconds', async () => {
    const { clock, service } = setup();
    const destination = uniqueAddress('reserve');

    await expect(service.reserveSend(email(destination, 'password_reset'))).resolves.toBeUndefined();
    clock.advanceSeconds(5);
    const error = await refusal(service.reserveSend(email(destination, 'password_reset')));

    expect({ code: error.code, statusCode: error.statusCode, retryAfterSeconds: error.retryAfterSeconds }).toEqual({
      code: 'TOO_MANY_REQUESTS',
      statusCode: 429,
      retryAfterSeconds: 25,
    });
    // A refused send does not restart the cooldown.
    clock.advanceSeconds(25);
    await expect(service.reserveSend(email(destination, 'password_reset'))).resolves.toBeUndefined();
  });

  it('caps sends to one destination per hour across purposes', async () => {
    const { clock, service } = setup();
    const destination = uniqueAddress('hourly');
    const purposes: Send['purpose'][] = ['verify_email', 'login', 'password_reset', 'verify_phone', 'two_factor'];

    for (const purpose of purposes) {
      expect(await service.tryReserveSend(email(destination, purpose))).toBeNull();
      clock.advanceSeconds(31);
    }
    // Past every cooldown, yet the sixth send in the hour is refused until the window ends.
    const elapsed = purposes.length * 31;
    const refused = await service.tryReserveSend(email(destination, 'verify_email'));
    expect(refused).toEqual({ retryAfterSeconds: 3600 - elapsed });
    expect(refused?.retryAfterSeconds).toBeGreaterThan(60);
    const error = await refusal(service.reserveSend(email(destination, 'login')));
    expect({ code: error.code, retryAfterSeconds: error.retryAfterSeconds }).toEqual({
      code: 'TOO_MANY_REQUESTS',
      retryAfterSeconds: 3600 - elapsed,
    });
    // The cap is the destination's, not the caller's: another address still gets mail.
    expect(await service.tryReserveSend(email(uniqueAddress('hourly-other'), 'verify_email'))).toBeNull();

    clock.advanceSeconds(3600 - elapsed - 1);
    expect(await service.tryReserveSend(email(destination, 'password_reset'))).toEqual({ retryAfterSeconds: 1 });
    clock.advanceSeconds(1);
    expect(await service.tryReserveSend(email(destination, 'verify_phone'))).toBeNull();
  });

  it('applies the same limits whether or not an account is behind the destination', async () => {
    const { clock, service } = setup();
    const registered = uniqueAddress('registered');
    await insertUser(registered);
    const unknown = uniqueAddress('unknown');

    const sequence: Send['purpose'][] = ['password_reset', 'password_reset', 'login', 'login', 'verify_email'];
    const outcomes = async (destination: string) => {
      const results = [];
      for (const purpose of sequence) results.push(await service.tryReserveSend(email(destination, purpose)));
      return results;
    };
    const forRegistered = await outcomes(registered);
    const forUnknown = await outcomes(unknown);

    const expected = [null, { retryAfterSeconds: 30 }, null, { retryAfterSeconds: 30 }, null];
    expect(forRegistered).toEqual(expected);
    expect(forUnknown).toEqual(expected);

    // The hourly cap, too, counts sends to an address nobody registered.
    clock.advanceSeconds(31);
    for (const destination of [registered, unknown]) {
      expect(await service.tryReserveSend(email(destination, 'verify_phone'))).toBeNull();
      expect(await service.tryReserveSend(email(destination, 'two_factor'))).toBeNull();
      const refused = await service.tryReserveSend(email(destination, 'login'));
      expect(refused?.retryAfterSeconds).toBe(3600 - 31);
    }
  });
});
