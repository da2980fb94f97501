import { and, eq, lt } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  strongPassword,
  type TestApp,
} from '../../../test/helpers.js';
import { createSoftwareAuthenticator } from '../../../test/software-authenticator.js';
import { auditEvents, loginEvents, webauthnChallenges } from '../../db/schema.js';

// The test app's PUBLIC_URL is http://localhost:3000: the relying party is "localhost".
const origin = 'http://localhost:3000';
const rpId = 'localhost';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

type Authenticator = ReturnType<typeof createSoftwareAuthenticator>;

/** A verified user with one passkey on `authenticator`. */
async function userWithPasskey(authenticator: Authenticator = createSoftwareAuthenticator({ origin, rpId })) {
  const user = await createVerifiedUser(test);
  const options = await post(test.app, '/auth/passkeys/register/options', undefined, user.accessToken);
  expect(options.statusCode).toBe(200);
  expect(options.json()).toMatchObject({
    rp: { id: rpId },
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });
  const registered = await post(
    test.app,
    '/auth/passkeys/register/verify',
    { response: authenticator.register(options.json()), name: 'Test laptop' },
    user.accessToken,
  );
  expect(registered.statusCode).toBe(200);
  return { ...user, authenticator, passkey: registered.json().passkey };
}

async function loginOptions(body?: Record<string, unknown>) {
  const response = await post(test.app, '/auth/passkeys/login/options', body);
  expect(response.statusCode).toBe(200);
  return response.json() as {
    challengeId: string;
    options: { challenge: string; allowCredentials?: Array<{ id: string }> };
  };
}

async function signInWith(
  authenticator: Authenticator,
  body?: Record<string, unknown>,
  assertion: Parameters<Authenticator['assert']>[1] = {},
) {
  const { challengeId, options } = await loginOptions(body);
  return post(test.app, '/auth/passkeys/login/verify', {
    challengeId,
    response: authenticator.assert(options, assertion),
  });
}

describe('registering a passkey', () => {
  it('stores it for the caller, lists it, and audits it', async () => {
    const { userId, accessToken, passkey } = await userWithPasskey();
    expect(passkey).toMatchObject({
      name: 'Test laptop',
      deviceType: 'singleDevice',
      backedUp: false,
      lastUsedAt: null,
    });
    const listed = await get(test.app, '/auth/passkeys', accessToken);
    expect(listed.json().passkeys).toEqual([passkey]);
    const [added] = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'passkey.added'), eq(auditEvents.targetUserId, userId)));
    expect(added?.actorUserId).toBe(userId);
  });

  it('lists the passkeys the caller already has in the options, so the browser does not make another on them', async () => {
    const { accessToken, authenticator } = await userWithPasskey();
    const options = (await post(test.app, '/auth/passkeys/register/options', undefined, accessToken)).json();
    expect(options.excludeCredentials.map((credential: { id: string }) => credential.id)).toEqual([
      authenticator.credentials[0]?.id.toString('base64url'),
    ]);
  });

  it('refuses an answer made for another origin, or to a challenge that is not the caller’s', async () => {
    const stranger = createSoftwareAuthenticator({ origin, rpId });
    const user = await createVerifiedUser(test);
    const other = await createVerifiedUser(test);
    const options = (await post(test.app, '/auth/passkeys/register/options', undefined, user.accessToken)).json();
    const phished = stranger.register(options, { at: 'https://evil.example' });
    expectError(
      await post(test.app, '/auth/passkeys/register/verify', { response: phished }, user.accessToken),
      400,
      'PASSKEY_REGISTRATION_FAILED',
    );
    // The challenge above is spent; a fresh one answered by another account is not theirs to use.
    const fresh = (await post(test.app, '/auth/passkeys/register/options', undefined, user.accessToken)).json();
    expectError(
      await post(test.app, '/auth/passkeys/register/verify', { response: stranger.register(fresh) }, other.accessToken),
      400,
      'PASSKEY_CHALLENGE_INVALID',
    );
  });

  it('needs the password, or a sign-in of the last five minutes, and tells the owner by email', async () => {
    const user = await createVerifiedUser(test);
    test.clock.advanceSeconds(301);
    expectError(
      await post(test.app, '/auth/passkeys/register/options', undefined, user.accessToken),
      403,
      'REAUTHENTICATION_REQUIRED',
    );
    expectError(
      await post(test.app, '/auth/passkeys/register/options', { password: 'not the password' }, user.accessToken),
      400,
      'INVALID_PASSWORD',
    );
    const options = await post(
      test.app,
      '/auth/passkeys/register/options',
      { password: strongPassword },
      user.accessToken,
    );
    expect(options.statusCode).toBe(200);
    const response = createSoftwareAuthenticator({ origin, rpId }).register(options.json());
    await post(test.app, '/auth/passkeys/register/verify', { response, name: 'Phone' }, user.accessToken);
    const mail = await test.lastMailTo(user.email);
    expect(mail?.subject).toBe('A passkey was added to your account');
    expect(mail?.text).toContain('"Phone"');
  });

  it('needs a bearer token', async () => {
    expectError(await post(test.app, '/auth/passkeys/register/options'), 401, 'UNAUTHORIZED');
  });
});

describe('signing in with a passkey', () => {
  it('signs in with a discoverable passkey: the seed’s answer, no second step, a history entry', async () => {
    const { userId, email, authenticator } = await userWithPasskey();
    const response = await signInWith(authenticator);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ user: { id: userId, email }, tokenType: 'Bearer' });
    expect((await get(test.app, '/auth/profile', body.accessToken)).statusCode).toBe(200);
    const history = await test.db.select().from(loginEvents).where(eq(loginEvents.userId, userId));
    expect(history.some((event) => event.method === 'passkey' && event.success)).toBe(true);
    const listed = (await get(test.app, '/auth/passkeys', body.accessToken)).json().passkeys;
    expect(listed[0].lastUsedAt).not.toBeNull();
  });

  it('binds options asked for an address to its account, yet names no credential: nothing tells who is registered', async () => {
    const { email, authenticator } = await userWithPasskey();
    const known = await loginOptions({ email });
    const unknown = await loginOptions({ email: 'nobody.here@example.com' });
    for (const answer of [known, unknown]) expect(answer.options.allowCredentials ?? []).toEqual([]);
    expect(Object.keys(unknown.options).sort()).toEqual(Object.keys(known.options).sort());
    // The binding holds: the account's own passkey signs in with the options asked for its address.
    const response = authenticator.assert(known.options);
    expect(
      (await post(test.app, '/auth/passkeys/login/verify', { challengeId: known.challengeId, response })).statusCode,
    ).toBe(200);
  });

  it('spends a challenge once, and not after five minutes', async () => {
    const { authenticator } = await userWithPasskey();
    const { challengeId, options } = await loginOptions();
    const response = authenticator.assert(options);
    expect((await post(test.app, '/auth/passkeys/login/verify', { challengeId, response })).statusCode).toBe(200);
    expectError(
      await post(test.app, '/auth/passkeys/login/verify', { challengeId, response }),
      400,
      'PASSKEY_CHALLENGE_INVALID',
    );
    const late = await loginOptions();
    test.clock.advanceSeconds(301);
    expectError(
      await post(test.app, '/auth/passkeys/login/verify', {
        challengeId: late.challengeId,
        response: authenticator.assert(late.options),
      }),
      400,
      'PASSKEY_CHALLENGE_INVALID',
    );
    // Asking for new options sweeps the expired ones away.
    await loginOptions();
    const now = test.clock.now();
    expect(await test.db.select().from(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now))).toEqual([]);
  });

  it('only accepts one of the named account’s passkeys when options were asked for an email', async () => {
    const alice = await userWithPasskey();
    const bob = await userWithPasskey();
    const { challengeId, options } = await loginOptions({ email: alice.email });
    const response = bob.authenticator.assert({ ...options, allowCredentials: [] });
    expectError(await post(test.app, '/auth/passkeys/login/verify', { challengeId, response }), 401, 'PASSKEY_INVALID');
  });

  it.each([
    ['without user verification', { verified: false }],
    ['made on another site', { at: 'https://evil.example' }],
    ['made for another relying party', { forRp: 'evil.example' }],
    ['with a tampered signature', { tampered: true }],
  ])('refuses an assertion %s, with a clean 401', async (_, assertion) => {
    const { authenticator } = await userWithPasskey();
    expectError(await signInWith(authenticator, undefined, assertion), 401, 'PASSKEY_INVALID');
    // The refusal spent nothing of the passkey: an honest assertion still works.
    expect((await signInWith(authenticator)).statusCode).toBe(200);
  });

  it('refuses a credential id nobody registered', async () => {
    const stranger = createSoftwareAuthenticator({ origin, rpId });
    stranger.register({ challenge: 'AAAA', rp: { id: rpId } });
    expectError(await signInWith(stranger), 401, 'PASSKEY_INVALID');
  });

  it('refuses and audits a cloned passkey whose counter goes backwards; a synced passkey may stay at 0', async () => {
    const { userId, authenticator } = await userWithPasskey();
    expect((await signInWith(authenticator, undefined, { counter: 5 })).statusCode).toBe(200);
    expectError(await signInWith(authenticator, undefined, { counter: 3 }), 401, 'PASSKEY_CLONE_DETECTED');
    const clones = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'passkey.clone_detected'), eq(auditEvents.targetUserId, userId)));
    expect(clones).toHaveLength(1);
    expect(clones[0]?.details).toMatchObject({ storedCounter: 5, presentedCounter: 3 });

    // A synced passkey lives on several devices, each counting on its own (or not at all): never judged by it.
    const synced = await userWithPasskey(createSoftwareAuthenticator({ origin, rpId, synced: true }));
    expect(synced.passkey).toMatchObject({ deviceType: 'multiDevice', backedUp: true });
    for (const counter of [0, 0, 5, 3])
      expect((await signInWith(synced.authenticator, undefined, { counter })).statusCode).toBe(200);
  });

  it('applies the account rules: a locked account gets 423, a blacklisted device 403', async () => {
    const locked = await userWithPasskey();
    const admin = await createAdmin(test);
    await post(test.app, `/admin/users/${locked.userId}/lock`, { reason: 'test' }, admin.accessToken);
    expectError(await signInWith(locked.authenticator), 423, 'ACCOUNT_LOCKED');

    const blocked = await userWithPasskey();
    await post(test.app, '/admin/devices/blacklist', { deviceId: 'stolen-phone' }, admin.accessToken);
    const { challengeId, options } = await loginOptions();
    const response = blocked.authenticator.assert(options);
    expectError(
      await post(test.app, '/auth/passkeys/login/verify', {
        challengeId,
        response,
        deviceInfo: { deviceId: 'stolen-phone' },
      }),
      403,
      'DEVICE_BLOCKED',
    );
  });
});

describe('managing passkeys', () => {
  it('renames one; another user’s passkey is not found', async () => {
    const { accessToken, passkey } = await userWithPasskey();
    const renamed = await test.app.inject({
      method: 'PATCH',
      url: `/auth/passkeys/${passkey.id}`,
      headers: { authorization: `Bearer ${accessToken}` },
      payload: { name: 'Phone' },
    });
    expect(renamed.json().passkey.name).toBe('Phone');
    const other = await createVerifiedUser(test);
    expectError(
      await del(test.app, `/auth/passkeys/${passkey.id}`, other.accessToken, { password: strongPassword }),
      404,
      'PASSKEY_NOT_FOUND',
    );
  });

  it('removes one with the password, or within five minutes of signing in, and not later without it', async () => {
    const first = await userWithPasskey();
    expectError(
      await del(test.app, `/auth/passkeys/${first.passkey.id}`, first.accessToken, { password: 'wrong password!' }),
      400,
      'INVALID_PASSWORD',
    );
    expect((await del(test.app, `/auth/passkeys/${first.passkey.id}`, first.accessToken)).statusCode).toBe(200);
    expect((await get(test.app, '/auth/passkeys', first.accessToken)).json().passkeys).toEqual([]);
    // The removed passkey no longer signs in.
    expectError(await signInWith(first.authenticator), 401, 'PASSKEY_INVALID');

    const second = await userWithPasskey();
    test.clock.advanceSeconds(301);
    expectError(
      await del(test.app, `/auth/passkeys/${second.passkey.id}`, second.accessToken),
      403,
      'REAUTHENTICATION_REQUIRED',
    );
    expect(
      (await del(test.app, `/auth/passkeys/${second.passkey.id}`, second.accessToken, { password: strongPassword }))
        .statusCode,
    ).toBe(200);
  });
});

describe('a passkey as the second factor', () => {
  it('is offered after the password when two-factor is on, and completes the sign-in', async () => {
    const { email, accessToken, authenticator } = await userWithPasskey();
    const enabled = await post(test.app, '/auth/2fa/enable', { method: 'totp', password: strongPassword }, accessToken);
    const totp = new TOTP({
      secret: Secret.fromBase32(enabled.json().secret),
      digits: 6,
      period: 30,
      algorithm: 'SHA1',
    });
    await post(
      test.app,
      '/auth/2fa/verify',
      { code: totp.generate({ timestamp: test.clock.now().getTime() }) },
      accessToken,
    );

    const challenge = (await post(test.app, '/auth/login', { email, password: strongPassword })).json();
    expect(challenge.methods).toContain('passkey');
    const { challengeId, options } = await loginOptions({ mfaToken: challenge.mfaToken });
    // Options for a plain sign-in cannot answer this challenge.
    const plain = await loginOptions();
    const wrongPurpose = { challengeId: plain.challengeId, response: authenticator.assert(plain.options) };
    expectError(
      await post(test.app, '/auth/2fa/verify', { mfaToken: challenge.mfaToken, passkey: wrongPurpose }),
      400,
      'MFA_CODE_INVALID',
    );

    const passkey = { challengeId, response: authenticator.assert(options) };
    const done = await post(test.app, '/auth/2fa/verify', { mfaToken: challenge.mfaToken, passkey });
    expect(done.statusCode).toBe(200);
    expect(done.json().accessToken).toEqual(expect.any(String));
  });
});
