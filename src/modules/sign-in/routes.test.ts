import { hash } from '@node-rs/argon2';
import { and, eq } from 'drizzle-orm';
import { decodeJwt, decodeProtectedHeader } from 'jose';
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
import { loginEvents, users } from '../../db/schema.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

/** A device id no other test uses, so its login_events rows are this test's alone. */
let deviceCounter = 0;
function uniqueDeviceId(): string {
  deviceCounter += 1;
  return `device-${deviceCounter}-${Date.now()}`;
}

describe('POST /auth/login', () => {
  it('signs a verified user in with the seed body, no-store, and no password hash', async () => {
    const { email, userId } = await createVerifiedUser(test);
    const response = await post(test.app, '/auth/login', {
      email,
      password: strongPassword,
      deviceInfo: { deviceName: 'Pixel 8', platform: 'Android', appVersion: '2.1.0' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body).toMatchObject({
      user: { id: userId, email, emailVerified: true, roles: ['USER'] },
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      sessionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      tokenType: 'Bearer',
      expiresIn: 7 * 24 * 3600,
    });
    expect(body.user).not.toHaveProperty('passwordHash');
    expect(response.body).not.toContain('$argon2');
    // The tokens are live: the new session lists itself as current.
    const list = await get(test.app, '/auth/sessions', body.accessToken);
    expect(list.statusCode).toBe(200);
    expect(list.json().sessions.find((session: { current: boolean }) => session.current)?.id).toBe(body.sessionId);
    expect((await post(test.app, '/auth/refresh', { refreshToken: body.refreshToken })).statusCode).toBe(200);
  });

  it('answers a wrong password and an unknown email with the same 401 INVALID_CREDENTIALS body', async () => {
    const { email } = await createVerifiedUser(test);
    const wrongPassword = await post(test.app, '/auth/login', { email, password: 'not the right password' });
    const unknownEmail = await post(test.app, '/auth/login', {
      email: uniqueEmail('nobody'),
      password: strongPassword,
    });
    expectError(wrongPassword, 401, 'INVALID_CREDENTIALS');
    expectError(unknownEmail, 401, 'INVALID_CREDENTIALS');
    const { requestId: firstId, ...first } = wrongPassword.json();
    const { requestId: secondId, ...second } = unknownEmail.json();
    expect(first).toEqual(second);
    expect(firstId).not.toBe(secondId);
    expect(wrongPassword.body).not.toMatch(/accessToken|refreshToken/);
  });

  it('tells an unverified account EMAIL_NOT_VERIFIED only after the correct password', async () => {
    const email = uniqueEmail('pending');
    expect((await post(test.app, '/auth/register', { email, password: strongPassword })).statusCode).toBe(201);
    expectError(
      await post(test.app, '/auth/login', { email, password: 'not the right password' }),
      401,
      'INVALID_CREDENTIALS',
    );
    const refused = await post(test.app, '/auth/login', { email, password: strongPassword });
    expectError(refused, 403, 'EMAIL_NOT_VERIFIED');
    expect(refused.body).not.toMatch(/accessToken|refreshToken/);
  });

  it('re-hashes a password stored with other argon2 parameters at the next successful login', async () => {
    const { email, userId } = await createVerifiedUser(test);
    const older = await hash(strongPassword, { algorithm: 2, memoryCost: 2048, timeCost: 1, parallelism: 1 });
    await test.db.update(users).set({ passwordHash: older }).where(eq(users.id, userId));

    expectError(
      await post(test.app, '/auth/login', { email, password: 'not the password' }),
      401,
      'INVALID_CREDENTIALS',
    );
    const afterFailure = await test.db.select().from(users).where(eq(users.id, userId));
    expect(afterFailure[0]?.passwordHash).toBe(older);

    expect((await post(test.app, '/auth/login', { email, password: strongPassword })).statusCode).toBe(200);
    const [row] = await test.db.select().from(users).where(eq(users.id, userId));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    expect((await post(test.app, '/auth/login', { email, password: strongPassword })).statusCode).toBe(200);
  });

  it('normalizes the email (case and surrounding spaces)', async () => {
    const { email, userId } = await createVerifiedUser(test);
    const response = await post(test.app, '/auth/login', {
      email: `  ${email.toUpperCase()}  `,
      password: strongPassword,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ id: userId, email });
  });

  it('replaces the earlier session of the same deviceId', async () => {
    const { email, accessToken: verifyToken } = await createVerifiedUser(test);
    const deviceId = uniqueDeviceId();
    const device = { deviceId, deviceName: 'iPhone 13', platform: 'iOS' };
    const first = await signIn(test, email, device);
    const second = await signIn(test, email, device);
    expect(second.sessionId).not.toBe(first.sessionId);

    expectError(await get(test.app, '/auth/sessions', first.accessToken), 401, 'UNAUTHORIZED');
    expectError(
      await post(test.app, '/auth/refresh', { refreshToken: first.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );

    const list = await get(test.app, '/auth/sessions', second.accessToken);
    expect(list.statusCode).toBe(200);
    const onDevice = list
      .json()
      .sessions.filter((session: { deviceId: string | null }) => session.deviceId === deviceId);
    expect(onDevice.map((session: { id: string }) => session.id)).toEqual([second.sessionId]);
    // Other devices (the session from email verification) are untouched.
    expect((await get(test.app, '/auth/sessions', verifyToken)).statusCode).toBe(200);
  });

  it('keeps one live session per device when logins with one deviceId race', async () => {
    const { email, accessToken: verifyToken } = await createVerifiedUser(test);
    const deviceId = uniqueDeviceId();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () =>
        post(test.app, '/auth/login', { email, password: strongPassword, deviceInfo: { deviceId } }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200, 200]);

    const list = await get(test.app, '/auth/sessions', verifyToken);
    expect(list.statusCode).toBe(200);
    const onDevice = list
      .json()
      .sessions.filter((session: { deviceId: string | null }) => session.deviceId === deviceId);
    expect(onDevice).toHaveLength(1);
    const stillSignedIn = [];
    for (const response of responses) {
      const { accessToken } = response.json();
      if ((await get(test.app, '/auth/sessions', accessToken)).statusCode === 200) stillSignedIn.push(accessToken);
    }
    expect(stillSignedIn).toHaveLength(1);
  });

  it('creates separate sessions for logins without a deviceId', async () => {
    const { email, sessionId: verifySessionId } = await createVerifiedUser(test);
    const first = await signIn(test, email, { deviceName: 'Laptop', platform: 'Web' });
    const second = await signIn(test, email, { deviceName: 'Laptop', platform: 'Web' });
    expect(second.sessionId).not.toBe(first.sessionId);

    expect((await get(test.app, '/auth/sessions', first.accessToken)).statusCode).toBe(200);
    const list = await get(test.app, '/auth/sessions', second.accessToken);
    expect(list.statusCode).toBe(200);
    const ids = list.json().sessions.map((session: { id: string }) => session.id);
    expect(ids.sort()).toEqual([verifySessionId, first.sessionId, second.sessionId].sort());
  });

  it('writes a login_events row for a success and for each failure', async () => {
    const { email, userId } = await createVerifiedUser(test);
    const successDevice = uniqueDeviceId();
    const ok = await signIn(test, email, { deviceId: successDevice, deviceName: 'Tablet' });
    const [success] = await test.db.select().from(loginEvents).where(eq(loginEvents.deviceId, successDevice));
    expect(success).toMatchObject({
      userId,
      method: 'password',
      success: true,
      failureReason: null,
      sessionId: ok.sessionId,
      deviceName: 'Tablet',
    });

    const wrongDevice = uniqueDeviceId();
    expectError(
      await post(test.app, '/auth/login', {
        email,
        password: 'not the right password',
        deviceInfo: { deviceId: wrongDevice },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    const failures = await test.db
      .select()
      .from(loginEvents)
      .where(and(eq(loginEvents.deviceId, wrongDevice), eq(loginEvents.success, false)));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ userId, failureReason: 'INVALID_CREDENTIALS', sessionId: null });

    const unknownDevice = uniqueDeviceId();
    expectError(
      await post(test.app, '/auth/login', {
        email: uniqueEmail('nobody'),
        password: strongPassword,
        deviceInfo: { deviceId: unknownDevice },
      }),
      401,
      'INVALID_CREDENTIALS',
    );
    const unknown = await test.db.select().from(loginEvents).where(eq(loginEvents.deviceId, unknownDevice));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ userId: null, success: false, failureReason: 'INVALID_CREDENTIALS' });
  });

  it('issues an EdDSA at+jwt access token whose kid is published in the JWKS', async () => {
    const { email, userId } = await createVerifiedUser(test);
    const response = await post(test.app, '/auth/login', { email, password: strongPassword });
    expect(response.statusCode).toBe(200);
    const { accessToken, sessionId, expiresIn } = response.json();

    const header = decodeProtectedHeader(accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt', kid: expect.any(String) });
    const jwks = await get(test.app, '/.well-known/jwks.json');
    expect(jwks.statusCode).toBe(200);
    expect(jwks.json().keys.map((key: { kid: string }) => key.kid)).toContain(header.kid);

    const claims = decodeJwt(accessToken);
    expect(claims).toMatchObject({
      sub: String(userId),
      sid: sessionId,
      iss: test.platform.config.jwtIssuer,
      aud: test.platform.config.jwtAudience,
      exp: expect.any(Number),
    });
    const now = Math.floor(test.clock.now().getTime() / 1000);
    expect(claims.exp).toBe(now + expiresIn);
  });
});
