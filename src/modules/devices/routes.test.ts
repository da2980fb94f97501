import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessStatus,
  buildTestApp,
  codeFrom,
  createAdmin,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  signIn,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { deviceFingerprints } from '../../db/schema.js';
import { createDeviceRepository } from './repository.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

// Device ids are global (the blacklist is not per user): unique per run and per test.
const run = randomBytes(4).toString('hex');
let devices = 0;
function deviceId(name = 'device') {
  devices += 1;
  return `${name}-${run}-${devices}`;
}

const blacklist = (accessToken: string, body: Record<string, unknown>) =>
  post(test.app, '/admin/devices/blacklist', body, accessToken);

const alertSubject = 'New sign-in to your account';
async function alertsTo(email: string) {
  await test.platform.outbox.drain();
  return test.mailbox.to(email).filter((message) => message.subject === alertSubject);
}

async function flagsOfLatestLogin(accessToken: string): Promise<string[]> {
  const response = await get(test.app, '/auth/logins?limit=1', accessToken);
  expect(response.statusCode).toBe(200);
  return response.json().logins[0].flags;
}

let admin: Awaited<ReturnType<typeof createAdmin>>;
beforeAll(async () => {
  admin = await createAdmin(test);
});

describe('POST /admin/devices/blacklist', () => {
  it('ends the sessions on that device at once, for every account, and leaves other devices alone', async () => {
    const blocked = deviceId('stolen');
    const owner = await createVerifiedUser(test, uniqueEmail(), { deviceName: 'Lost phone', deviceId: blocked });
    const ownerLaptop = await signIn(test, owner.email, { deviceName: 'Laptop', deviceId: deviceId('laptop') });
    // Someone else signed in on the same installation.
    const other = await createVerifiedUser(test, uniqueEmail(), { deviceId: blocked });

    const response = await blacklist(admin.accessToken, { deviceId: blocked, reason: 'reported stolen' });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toEqual({
      device: {
        deviceId: blocked,
        reason: 'reported stolen',
        createdByUserId: admin.userId,
        createdAt: test.clock.now().toISOString(),
      },
      endedSessions: 2,
    });

    expect(await accessStatus(test, owner.accessToken)).toBe(401);
    expect(await accessStatus(test, other.accessToken)).toBe(401);
    expect(await accessStatus(test, ownerLaptop.accessToken)).toBe(200);
    expect((await post(test.app, '/auth/refresh', { refreshToken: ownerLaptop.refreshToken })).statusCode).toBe(200);
  });

  it('refuses the refresh token of a blacklisted device with DEVICE_BLOCKED', async () => {
    // DESIGN §4 and issue 5: a blacklisted device "cannot log in, verify, refresh or use
    // OTP login (403, DEVICE_BLOCKED)". The client must learn that the device is blocked,
    // not that its session merely expired (which would send it back to the login form).
    const blocked = deviceId('stolen');
    const owner = await createVerifiedUser(test, uniqueEmail(), { deviceId: blocked });
    expect((await blacklist(admin.accessToken, { deviceId: blocked })).statusCode).toBe(201);

    expectError(await post(test.app, '/auth/refresh', { refreshToken: owner.refreshToken }), 403, 'DEVICE_BLOCKED');
  });

  it('refuses to refresh a session on a blacklisted device that is still live', async () => {
    // A sign-in that passed the device check just before the blacklist was written can leave
    // a live session behind; refresh is the backstop. The row is written directly to build
    // that state deterministically.
    const blocked = deviceId('raced');
    const owner = await createVerifiedUser(test, uniqueEmail(), { deviceId: blocked });
    await createDeviceRepository(test.db).upsertBlacklisted({
      deviceId: blocked,
      reason: null,
      createdByUserId: admin.userId,
      createdAt: test.clock.now(),
    });
    expectError(await post(test.app, '/auth/refresh', { refreshToken: owner.refreshToken }), 403, 'DEVICE_BLOCKED');
  });

  it('blocks password login, email verification and OTP login from that device, and no other', async () => {
    const blocked = deviceId('stolen');
    const user = await createVerifiedUser(test);
    expect((await blacklist(admin.accessToken, { deviceId: blocked })).statusCode).toBe(201);

    expectError(
      await post(test.app, '/auth/login', {
        email: user.email,
        password: strongPassword,
        deviceInfo: { deviceId: blocked },
      }),
      403,
      'DEVICE_BLOCKED',
    );
    await signIn(test, user.email, { deviceId: deviceId('phone') });

    // Email verification: refused before the code is spent, so another device can still use it.
    const pending = uniqueEmail();
    expect((await post(test.app, '/auth/register', { email: pending, password: strongPassword })).statusCode).toBe(201);
    const code = codeFrom((await test.lastMailTo(pending))?.text);
    expectError(
      await post(test.app, '/auth/verify-email', { email: pending, otp: code, deviceInfo: { deviceId: blocked } }),
      403,
      'DEVICE_BLOCKED',
    );
    expect(
      (await post(test.app, '/auth/verify-email', { email: pending, otp: code, deviceInfo: { deviceId: deviceId() } }))
        .statusCode,
    ).toBe(200);

    // Passwordless sign-in by email code (after the address's send cooldown from registration).
    test.clock.advanceSeconds(31);
    const target = { purpose: 'login', channel: 'email', email: user.email };
    expect((await post(test.app, '/auth/otp/send', target)).statusCode).toBe(200);
    const loginCode = codeFrom((await test.lastMailTo(user.email))?.text);
    expectError(
      await post(test.app, '/auth/otp/verify', { ...target, code: loginCode, deviceInfo: { deviceId: blocked } }),
      403,
      'DEVICE_BLOCKED',
    );
    const otpLogin = await post(test.app, '/auth/otp/verify', {
      ...target,
      code: loginCode,
      deviceInfo: { deviceId: deviceId('tablet') },
    });
    expect(otpLogin.statusCode).toBe(200);
    expect(otpLogin.json().accessToken).toEqual(expect.any(String));
  });

  it('is listed, can be removed, and then the device can sign in again', async () => {
    const blocked = deviceId('stolen');
    const user = await createVerifiedUser(test);
    expect((await blacklist(admin.accessToken, { deviceId: blocked, reason: 'lost' })).statusCode).toBe(201);

    const listed = await get(test.app, '/admin/devices/blacklist', admin.accessToken);
    expect(listed.statusCode).toBe(200);
    expect(listed.json().devices).toContainEqual({
      deviceId: blocked,
      reason: 'lost',
      createdByUserId: admin.userId,
      createdAt: expect.any(String),
    });

    const removed = await del(test.app, `/admin/devices/blacklist/${blocked}`, admin.accessToken);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ message: expect.any(String) });
    const after = await get(test.app, '/admin/devices/blacklist', admin.accessToken);
    expect(after.json().devices.map((device: { deviceId: string }) => device.deviceId)).not.toContain(blocked);
    const session = await signIn(test, user.email, { deviceId: blocked });
    expect(await accessStatus(test, session.accessToken)).toBe(200);

    expectError(await del(test.app, `/admin/devices/blacklist/${blocked}`, admin.accessToken), 404, 'DEVICE_NOT_FOUND');
    expectError(
      await del(test.app, `/admin/devices/blacklist/${deviceId('never-listed')}`, admin.accessToken),
      404,
      'DEVICE_NOT_FOUND',
    );
  });

  it('is for administrators only', async () => {
    const user = await createVerifiedUser(test);
    const target = deviceId('victim');
    const victim = await createVerifiedUser(test, uniqueEmail(), { deviceId: target });
    expectError(await blacklist(user.accessToken, { deviceId: target }), 403, 'FORBIDDEN');
    expectError(await get(test.app, '/admin/devices/blacklist', user.accessToken), 403, 'FORBIDDEN');
    expectError(await del(test.app, `/admin/devices/blacklist/${target}`, user.accessToken), 403, 'FORBIDDEN');
    expectError(await post(test.app, '/admin/devices/blacklist', { deviceId: target }), 401, 'UNAUTHORIZED');
    // Nothing happened to the device.
    expect(await accessStatus(test, victim.accessToken)).toBe(200);
    const listed = await get(test.app, '/admin/devices/blacklist', admin.accessToken);
    expect(listed.json().devices.map((device: { deviceId: string }) => device.deviceId)).not.toContain(target);
  });

  it('rejects malformed device ids and unknown fields', async () => {
    expectError(await blacklist(admin.accessToken, { deviceId: '' }), 400, 'VALIDATION_FAILED');
    expectError(await blacklist(admin.accessToken, { deviceId: 'has space' }), 400, 'VALIDATION_FAILED');
    expectError(
      await blacklist(admin.accessToken, { deviceId: deviceId(), createdByUserId: 1 }),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('writes device.blacklisted and device.unblacklisted to the audit trail', async () => {
    const blocked = deviceId('audited');
    await createVerifiedUser(test, uniqueEmail(), { deviceId: blocked });
    expect((await blacklist(admin.accessToken, { deviceId: blocked, reason: 'fraud' })).statusCode).toBe(201);
    expect((await del(test.app, `/admin/devices/blacklist/${blocked}`, admin.accessToken)).statusCode).toBe(200);

    for (const action of ['device.blacklisted', 'device.unblacklisted']) {
      const response = await get(test.app, `/admin/audit?action=${action}&limit=200`, admin.accessToken);
      expect(response.statusCode).toBe(200);
      const events = response
        .json()
        .events.filter((event: { details: { deviceId?: string } }) => event.details.deviceId === blocked);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action, actorUserId: admin.userId, ipAddress: '127.0.0.1' });
    }
    const blacklisted = await get(test.app, '/admin/audit?action=device.blacklisted&limit=200', admin.accessToken);
    expect(
      blacklisted.json().events.find((event: { details: { deviceId?: string } }) => event.details.deviceId === blocked)
        .details,
    ).toMatchObject({ reason: 'fraud', endedSessions: 1 });
  });
});

describe('POST /auth/fingerprint', () => {
  it("saves the session device's first fingerprint, then compares later ones with it", async () => {
    const user = await createVerifiedUser(test, uniqueEmail(), { deviceId: deviceId('browser') });
    const fingerprint = `fp-${randomBytes(12).toString('hex')}`;
    const call = (value: string) => post(test.app, '/auth/fingerprint', { fingerprint: value }, user.accessToken);

    const first = await call(fingerprint);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ saved: true });
    expect((await call(fingerprint)).json()).toEqual({ saved: false, match: true });
    expect((await call(`${fingerprint}-changed`)).json()).toEqual({ saved: false, match: false });
    // A mismatch does not replace the saved one.
    expect((await call(fingerprint)).json()).toEqual({ saved: false, match: true });

    const rows = await test.db.select().from(deviceFingerprints).where(eq(deviceFingerprints.userId, user.userId));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(fingerprint);
    expect(rows[0]?.fingerprintHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('needs a bearer token and a plausible fingerprint', async () => {
    expectError(await post(test.app, '/auth/fingerprint', { fingerprint: 'abcdefgh12' }), 401, 'UNAUTHORIZED');
    const user = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/fingerprint', { fingerprint: 'short' }, user.accessToken),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('sign-in with deviceInfo.fingerprint', () => {
  it('flags and emails a fingerprint none of the known devices has; the first and known ones raise nothing', async () => {
    const email = uniqueEmail();
    await createVerifiedUser(test, email);
    const phone = `phone-${randomBytes(12).toString('hex')}`;
    const laptop = `laptop-${randomBytes(12).toString('hex')}`;

    // The first fingerprint ever seen has nothing to be compared with.
    const first = await signIn(test, email, { deviceId: deviceId('phone'), fingerprint: phone });
    expect(await flagsOfLatestLogin(first.accessToken)).toEqual([]);
    expect(await alertsTo(email)).toHaveLength(0);

    // Known fingerprint, even under another device id.
    test.clock.advanceSeconds(60);
    const again = await signIn(test, email, { deviceId: deviceId('phone'), fingerprint: phone });
    expect(await flagsOfLatestLogin(again.accessToken)).toEqual([]);
    expect(await alertsTo(email)).toHaveLength(0);

    test.clock.advanceSeconds(60);
    const unknown = await signIn(test, email, {
      deviceName: 'Unknown Laptop',
      platform: 'Linux',
      deviceId: deviceId('laptop'),
      fingerprint: laptop,
    });
    expect(await flagsOfLatestLogin(unknown.accessToken)).toEqual(['new_device']);
    const alerts = await alertsTo(email);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.text).toContain('Unknown Laptop on Linux');
    expect(alerts[0]?.text).toContain('device we do not recognise');
    expect(alerts[0]?.text).not.toContain(laptop);

    // Now known: no second alert.
    test.clock.advanceSeconds(60);
    const known = await signIn(test, email, { deviceId: deviceId('laptop'), fingerprint: laptop });
    expect(await flagsOfLatestLogin(known.accessToken)).toEqual([]);
    expect(await alertsTo(email)).toHaveLength(1);
  });

  it('knows fingerprints saved through POST /auth/fingerprint', async () => {
    const email = uniqueEmail();
    const user = await createVerifiedUser(test, email, { deviceId: deviceId('browser') });
    const fingerprint = `browser-${randomBytes(12).toString('hex')}`;
    expect((await post(test.app, '/auth/fingerprint', { fingerprint }, user.accessToken)).json()).toEqual({
      saved: true,
    });

    const same = await signIn(test, email, { deviceId: deviceId('browser'), fingerprint });
    expect(await flagsOfLatestLogin(same.accessToken)).toEqual([]);
    const other = await signIn(test, email, { deviceId: deviceId('other'), fingerprint: `${fingerprint}-x` });
    expect(await flagsOfLatestLogin(other.accessToken)).toEqual(['new_device']);
    expect(await alertsTo(email)).toHaveLength(1);
  });

  it("does not compare with other users' fingerprints", async () => {
    const shared = `shared-${randomBytes(12).toString('hex')}`;
    const alice = uniqueEmail('alice');
    await createVerifiedUser(test, alice);
    await signIn(test, alice, { fingerprint: shared });
    const bob = uniqueEmail('bob');
    await createVerifiedUser(test, bob);
    await signIn(test, bob, { fingerprint: `bob-${randomBytes(12).toString('hex')}` });
    // Bob's known fingerprint is his own; Alice's is new to him.
    const session = await signIn(test, bob, { fingerprint: shared });
    expect(await flagsOfLatestLogin(session.accessToken)).toEqual(['new_device']);
  });
});
