import { eq } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  codeFrom,
  createVerifiedUser,
  expectError,
  get,
  post,
  strongPassword,
  type TestApp,
} from '../../../test/helpers.js';
import { users } from '../../db/schema.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

function totpCode(secret: string, offsetSteps = 0): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' });
  return totp.generate({ timestamp: test.clock.now().getTime() + offsetSteps * 30_000 });
}

/** A signed-in user with TOTP on; returns the secret and the recovery codes. */
async function userWithTotp(deviceInfo?: Record<string, string>) {
  const user = await createVerifiedUser(test, undefined, deviceInfo);
  const enabled = await post(
    test.app,
    '/auth/2fa/enable',
    { method: 'totp', password: strongPassword },
    user.accessToken,
  );
  expect(enabled.statusCode).toBe(200);
  const { secret } = enabled.json();
  const confirmed = await post(test.app, '/auth/2fa/verify', { code: totpCode(secret) }, user.accessToken);
  expect(confirmed.statusCode).toBe(200);
  // The enrollment code's step is spent; sign-ins use the next one.
  test.clock.advanceSeconds(30);
  return { ...user, secret: secret as string, recoveryCodes: confirmed.json().recoveryCodes as string[] };
}

async function challenge(email: string, deviceInfo?: Record<string, string>) {
  const response = await post(test.app, '/auth/login', { email, password: strongPassword, deviceInfo });
  expect(response.statusCode).toBe(200);
  return response.json();
}

describe('TOTP enrollment', () => {
  it('needs the password, returns a 160-bit secret with its URI and QR code, and stays pending until confirmed', async () => {
    const user = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/2fa/enable', { method: 'totp', password: 'wrong password' }, user.accessToken),
      400,
      'INVALID_PASSWORD',
    );
    const enabled = await post(
      test.app,
      '/auth/2fa/enable',
      { method: 'totp', password: strongPassword },
      user.accessToken,
    );
    const body = enabled.json();
    expect(body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(body.otpauthUri).toContain(`secret=${body.secret}`);
    expect(body.qrCode).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(body.qrCode.split(',')[1], 'base64').toString()).toContain('<svg');
    // Pending: sign-in still gives tokens.
    expect(
      (await post(test.app, '/auth/login', { email: user.email, password: strongPassword })).json(),
    ).toHaveProperty('accessToken');
    const [row] = await test.db.select().from(users).where(eq(users.id, user.userId));
    expect(row?.totpPendingSecretEncrypted).not.toContain(body.secret);
  });

  it('turns on with a valid code, returns 10 recovery codes once and emails the owner', async () => {
    const user = await userWithTotp();
    expect(user.recoveryCodes).toHaveLength(10);
    expect(new Set(user.recoveryCodes).size).toBe(10);
    expect((await test.lastMailTo(user.email))?.subject).toBe('Two-factor authentication enabled');
    expect((await get(test.app, '/auth/profile', user.accessToken)).json().twoFactorMethods).toEqual(['totp']);
  });

  it('refuses a wrong confirmation code and a confirmation without enrollment', async () => {
    const user = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/2fa/verify', { code: '123456' }, user.accessToken),
      400,
      'TWO_FACTOR_NOT_PENDING',
    );
    const { secret } = (
      await post(test.app, '/auth/2fa/enable', { method: 'totp', password: strongPassword }, user.accessToken)
    ).json();
    expectError(
      await post(test.app, '/auth/2fa/verify', { code: totpCode(secret, 3) }, user.accessToken),
      400,
      'MFA_CODE_INVALID',
    );
  });
});

describe('signing in with TOTP', () => {
  it('answers a challenge without tokens; the mfaToken is no bearer token', async () => {
    const user = await userWithTotp();
    const body = await challenge(user.email);
    expect(body).toEqual({
      mfaRequired: true,
      mfaToken: expect.any(String),
      methods: ['totp', 'recovery_code'],
      expiresIn: 300,
    });
    expectError(await get(test.app, '/auth/profile', body.mfaToken), 401, 'UNAUTHORIZED');
  });

  it('completes with a current code, never accepts the same step twice, and accepts ±1 step but not ±2', async () => {
    const user = await userWithTotp();
    const first = await challenge(user.email);
    const code = totpCode(user.secret);
    const signedIn = await post(test.app, '/auth/2fa/verify', { mfaToken: first.mfaToken, code });
    expect(signedIn.statusCode).toBe(200);
    expect((await get(test.app, '/auth/profile', signedIn.json().accessToken)).statusCode).toBe(200);

    const replay = await challenge(user.email);
    expectError(await post(test.app, '/auth/2fa/verify', { mfaToken: replay.mfaToken, code }), 400, 'MFA_CODE_INVALID');

    test.clock.advanceSeconds(60);
    for (const offset of [-2, 2]) {
      const attempt = await challenge(user.email);
      const response = await post(test.app, '/auth/2fa/verify', {
        mfaToken: attempt.mfaToken,
        code: totpCode(user.secret, offset),
      });
      expectError(response, 400, 'MFA_CODE_INVALID');
    }
    const late = await challenge(user.email);
    expect(
      (await post(test.app, '/auth/2fa/verify', { mfaToken: late.mfaToken, code: totpCode(user.secret, 1) }))
        .statusCode,
    ).toBe(200);
  });

  it('spends a recovery code exactly once', async () => {
    const user = await userWithTotp();
    const [recoveryCode] = user.recoveryCodes;
    const first = await challenge(user.email);
    expect((await post(test.app, '/auth/2fa/verify', { mfaToken: first.mfaToken, recoveryCode })).statusCode).toBe(200);
    const second = await challenge(user.email);
    expectError(
      await post(test.app, '/auth/2fa/verify', { mfaToken: second.mfaToken, recoveryCode }),
      400,
      'MFA_CODE_INVALID',
    );
  });

  it('opens exactly one session for two concurrent verifications of one mfaToken', async () => {
    const user = await userWithTotp();
    const { mfaToken } = await challenge(user.email);
    const [left, right] = await Promise.all([
      post(test.app, '/auth/2fa/verify', { mfaToken, recoveryCode: user.recoveryCodes[0] }),
      post(test.app, '/auth/2fa/verify', { mfaToken, recoveryCode: user.recoveryCodes[1] }),
    ]);
    expect([left?.statusCode, right?.statusCode].sort()).toEqual([200, 401]);
    const sessions = (await get(test.app, '/auth/sessions', user.accessToken)).json().sessions;
    expect(sessions).toHaveLength(2);
  });

  it('expires the mfaToken after 5 minutes and binds it to the device that started it', async () => {
    const user = await userWithTotp({ deviceId: 'phone-1' });
    const stale = await challenge(user.email, { deviceId: 'phone-1' });
    test.clock.advanceSeconds(301);
    expectError(
      await post(test.app, '/auth/2fa/verify', {
        mfaToken: stale.mfaToken,
        code: totpCode(user.secret),
        deviceInfo: { deviceId: 'phone-1' },
      }),
      401,
      'MFA_TOKEN_INVALID',
    );
    const fresh = await challenge(user.email, { deviceId: 'phone-1' });
    expectError(
      await post(test.app, '/auth/2fa/verify', {
        mfaToken: fresh.mfaToken,
        code: totpCode(user.secret),
        deviceInfo: { deviceId: 'laptop-9' },
      }),
      401,
      'MFA_TOKEN_INVALID',
    );
    const done = await post(test.app, '/auth/2fa/verify', {
      mfaToken: fresh.mfaToken,
      code: totpCode(user.secret),
      deviceInfo: { deviceId: 'phone-1' },
    });
    expect(done.statusCode).toBe(200);
  });

  it('locks the second factor for 15 minutes after 10 wrong codes, even the right one', async () => {
    const user = await userWithTotp();
    const { mfaToken } = await challenge(user.email);
    const wrong = totpCode(user.secret, 5);
    const attempts = await Promise.all(
      Array.from({ length: 12 }, () => post(test.app, '/auth/2fa/verify', { mfaToken, code: wrong })),
    );
    const codes = attempts.map((attempt) => attempt.json().code);
    expect(codes.filter((code) => code === 'MFA_CODE_INVALID')).toHaveLength(10);
    expect(codes.filter((code) => code === 'MFA_LOCKED')).toHaveLength(2);
    const locked = await post(test.app, '/auth/2fa/verify', { mfaToken, code: totpCode(user.secret) });
    expectError(locked, 429, 'MFA_LOCKED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);

    test.clock.advanceSeconds(15 * 60 + 1);
    const again = await challenge(user.email);
    expect(
      (await post(test.app, '/auth/2fa/verify', { mfaToken: again.mfaToken, code: totpCode(user.secret) })).statusCode,
    ).toBe(200);
  });
});

describe('disabling and recovery codes', () => {
  it('needs the password and a current code, then sign-in gives tokens directly', async () => {
    const user = await userWithTotp();
    expectError(
      await post(
        test.app,
        '/auth/2fa/disable',
        { password: strongPassword, code: totpCode(user.secret, 4) },
        user.accessToken,
      ),
      400,
      'MFA_CODE_INVALID',
    );
    expectError(
      await post(test.app, '/auth/2fa/disable', { password: 'not it', code: totpCode(user.secret) }, user.accessToken),
      400,
      'INVALID_PASSWORD',
    );
    const disabled = await post(
      test.app,
      '/auth/2fa/disable',
      { password: strongPassword, code: totpCode(user.secret) },
      user.accessToken,
    );
    expect(disabled.statusCode).toBe(200);
    expect((await test.lastMailTo(user.email))?.subject).toBe('Two-factor authentication disabled');
    expect(await challenge(user.email)).toHaveProperty('accessToken');
  });

  it('regenerates recovery codes and voids the old ones', async () => {
    const user = await userWithTotp();
    const regenerated = await post(
      test.app,
      '/auth/2fa/recovery-codes',
      { password: strongPassword },
      user.accessToken,
    );
    expect(regenerated.statusCode).toBe(200);
    const fresh = regenerated.json().recoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    const old = await challenge(user.email);
    expectError(
      await post(test.app, '/auth/2fa/verify', { mfaToken: old.mfaToken, recoveryCode: user.recoveryCodes[0] }),
      400,
      'MFA_CODE_INVALID',
    );
    expect(
      (await post(test.app, '/auth/2fa/verify', { mfaToken: old.mfaToken, recoveryCode: fresh[0] })).statusCode,
    ).toBe(200);
  });
});

describe('SMS as second factor', () => {
  const phone = '+14155550100';

  it('needs a verified phone, then sends codes by SMS at enrollment and at sign-in', async () => {
    const user = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/2fa/enable', { method: 'sms', password: strongPassword }, user.accessToken),
      400,
      'PHONE_NOT_VERIFIED',
    );
    await test.db
      .update(users)
      .set({ phoneNumber: phone, phoneVerifiedAt: new Date() })
      .where(eq(users.id, user.userId));
    const enabled = await post(
      test.app,
      '/auth/2fa/enable',
      { method: 'sms', password: strongPassword },
      user.accessToken,
    );
    expect(enabled.statusCode).toBe(200);
    const enrollmentCode = codeFrom((await test.lastMailTo(phone))?.text);
    const confirmed = await post(
      test.app,
      '/auth/2fa/verify',
      { method: 'sms', code: enrollmentCode },
      user.accessToken,
    );
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().recoveryCodes).toHaveLength(10);

    // Changing the phone would redirect the codes: refused while SMS 2FA is on.
    expectError(
      await test.app.inject({
        method: 'PUT',
        url: '/users/me',
        headers: { authorization: `Bearer ${user.accessToken}` },
        payload: { phoneNumber: '+14155550199' },
      }),
      409,
      'PHONE_USED_FOR_TWO_FACTOR',
    );

    test.clock.advanceSeconds(31);
    const { mfaToken, methods } = await challenge(user.email);
    expect(methods).toEqual(['sms', 'recovery_code']);
    const signInCode = codeFrom((await test.lastMailTo(phone))?.text);
    expect(signInCode).not.toBe(enrollmentCode);
    const done = await post(test.app, '/auth/2fa/verify', { mfaToken, method: 'sms', code: signInCode });
    expect(done.statusCode).toBe(200);
  });
});
