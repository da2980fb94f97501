import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createVerifiedUser,
  expectError,
  get,
  post,
  signIn,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp({ env: { PUBLIC_URL: 'https://id.example.com' } });
});
afterAll(() => test.close());

const newPassword = 'an entirely new passphrase';

async function requestReset(email: string) {
  const response = await post(test.app, '/auth/password/reset-request', { email });
  expect(response.statusCode).toBe(200);
  const mail = await test.lastMailTo(email);
  const token = /token=([A-Za-z0-9_-]+)/.exec(mail?.text ?? '')?.[1];
  return { response, mail, token: token ?? '' };
}

describe('password reset', () => {
  it('emails a single-use link built from PUBLIC_URL, never from the Host header', async () => {
    const { email } = await createVerifiedUser(test);
    const response = await test.app.inject({
      method: 'POST',
      url: '/auth/password/reset-request',
      headers: { host: 'evil.example.net', 'x-forwarded-host': 'evil.example.net' },
      payload: { email },
    });
    expect(response.statusCode).toBe(200);
    const mail = await test.lastMailTo(email);
    expect(mail?.text).toMatch(/https:\/\/id\.example\.com\/reset-password\?token=[A-Za-z0-9_-]{43}/);
    expect(mail?.text).not.toContain('evil.example.net');
  });

  it('answers unknown addresses exactly like known ones and sends them nothing', async () => {
    const { email } = await createVerifiedUser(test);
    const unknown = uniqueEmail('nobody');
    const known = await post(test.app, '/auth/password/reset-request', { email });
    const missing = await post(test.app, '/auth/password/reset-request', { email: unknown });
    expect(missing.statusCode).toBe(known.statusCode);
    expect(missing.json().message).toBe(known.json().message);
    await test.platform.outbox.drain();
    expect(test.mailbox.to(unknown)).toHaveLength(0);
  });

  it('sets the new password once, signs out every device and tells the owner', async () => {
    const user = await createVerifiedUser(test);
    const other = await signIn(test, user.email, { deviceName: 'Laptop' });
    const { token } = await requestReset(user.email);

    const reset = await post(test.app, '/auth/password/reset', { token, newPassword });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).not.toHaveProperty('accessToken');
    for (const accessToken of [user.accessToken, other.accessToken]) {
      expectError(await get(test.app, '/auth/profile', accessToken), 401, 'UNAUTHORIZED');
    }
    expectError(
      await post(test.app, '/auth/refresh', { refreshToken: other.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    expect((await test.lastMailTo(user.email))?.subject).toBe('Your password was changed');

    expectError(
      await post(test.app, '/auth/login', { email: user.email, password: strongPassword }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect((await post(test.app, '/auth/login', { email: user.email, password: newPassword })).statusCode).toBe(200);
    expectError(
      await post(test.app, '/auth/password/reset', { token, newPassword: 'yet another passphrase' }),
      400,
      'RESET_TOKEN_INVALID',
    );
  });

  it('accepts exactly one of two concurrent resets with one token', async () => {
    const { email } = await createVerifiedUser(test);
    const { token } = await requestReset(email);
    const results = await Promise.all([
      post(test.app, '/auth/password/reset', { token, newPassword }),
      post(test.app, '/auth/password/reset', { token, newPassword: 'the other new passphrase' }),
    ]);
    expect(results.map((result) => result.statusCode).sort()).toEqual([200, 400]);
  });

  it('voids older links when a newer one is requested', async () => {
    const { email } = await createVerifiedUser(test);
    const first = await requestReset(email);
    test.clock.advanceSeconds(31);
    const second = await requestReset(email);
    expect(second.token).not.toBe(first.token);
    expectError(
      await post(test.app, '/auth/password/reset', { token: first.token, newPassword }),
      400,
      'RESET_TOKEN_INVALID',
    );
    expect((await post(test.app, '/auth/password/reset', { token: second.token, newPassword })).statusCode).toBe(200);
  });

  it('expires after PASSWORD_RESET_TTL (1 h)', async () => {
    const { email } = await createVerifiedUser(test);
    const { token } = await requestReset(email);
    test.clock.advanceSeconds(3601);
    expectError(await post(test.app, '/auth/password/reset', { token, newPassword }), 400, 'RESET_TOKEN_EXPIRED');
  });

  it('applies the password policy and rejects unknown tokens', async () => {
    const { email } = await createVerifiedUser(test);
    const { token } = await requestReset(email);
    expectError(
      await post(test.app, '/auth/password/reset', { token, newPassword: 'password123' }),
      400,
      'PASSWORD_TOO_COMMON',
    );
    expectError(
      await post(test.app, '/auth/password/reset', { token, newPassword: 'short' }),
      400,
      'VALIDATION_FAILED',
    );
    expectError(
      await post(test.app, '/auth/password/reset', { token: 'x'.repeat(43), newPassword }),
      400,
      'RESET_TOKEN_INVALID',
    );
    // The policy failure did not spend the token.
    expect((await post(test.app, '/auth/password/reset', { token, newPassword })).statusCode).toBe(200);
  });

  it('limits reset emails per address with 429 and Retry-After', async () => {
    const email = uniqueEmail('flood');
    expect((await post(test.app, '/auth/password/reset-request', { email })).statusCode).toBe(200);
    const again = await post(test.app, '/auth/password/reset-request', { email });
    expectError(again, 429, 'TOO_MANY_REQUESTS');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('password change', () => {
  it('needs the current password, keeps this session, ends the others, and emails the owner', async () => {
    const user = await createVerifiedUser(test);
    const other = await signIn(test, user.email, { deviceName: 'Tablet' });

    expectError(
      await post(
        test.app,
        '/auth/password/change',
        { currentPassword: 'not my password', newPassword },
        user.accessToken,
      ),
      400,
      'INVALID_PASSWORD',
    );
    const changed = await post(
      test.app,
      '/auth/password/change',
      { currentPassword: strongPassword, newPassword },
      user.accessToken,
    );
    expect(changed.statusCode).toBe(200);
    expect((await get(test.app, '/auth/profile', user.accessToken)).statusCode).toBe(200);
    expectError(await get(test.app, '/auth/profile', other.accessToken), 401, 'UNAUTHORIZED');
    expect((await test.lastMailTo(user.email))?.subject).toBe('Your password was changed');
    expect((await post(test.app, '/auth/login', { email: user.email, password: newPassword })).statusCode).toBe(200);
  });

  it('refuses a common new password and answers 401 without a token', async () => {
    const user = await createVerifiedUser(test);
    expectError(
      await post(
        test.app,
        '/auth/password/change',
        { currentPassword: strongPassword, newPassword: 'iloveyou123' },
        user.accessToken,
      ),
      400,
      'PASSWORD_TOO_COMMON',
    );
    expectError(
      await post(test.app, '/auth/password/change', { currentPassword: strongPassword, newPassword }),
      401,
      'UNAUTHORIZED',
    );
  });
});
