import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  createVerifiedUser,
  get,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';

// Public addresses and what the bundled DB-IP City Lite data answers for them.
const mountainView = { ip: '8.8.8.8', country: 'US', city: 'Mountain View' };
const london = { ip: '81.2.69.142', country: 'GB', city: 'London' };
// Same country as Mountain View, about 2,300 km away.
const kansas = { ip: '4.2.2.2', country: 'US', city: 'Independence' };

const hours = (count: number) => count * 3600;
const days = (count: number) => count * 86_400;
const alertSubject = 'New sign-in to your account';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp({ env: { TRUST_PROXY: 'true' } });
});
afterAll(() => test.close());

interface LoginEntry {
  success: boolean;
  ipAddress: string | null;
  country: string | null;
  city: string | null;
  flags: string[];
  sessionId: string | null;
}

/** Password sign-in as seen through a proxy that reports `ip` as the client. */
async function loginFrom(
  app: TestApp,
  email: string,
  ip: string,
  deviceInfo: Record<string, string> = { deviceName: 'Test Device', platform: 'Test' },
) {
  const response = await app.app.inject({
    method: 'POST',
    url: '/auth/login',
    headers: { 'x-forwarded-for': ip },
    payload: { email, password: strongPassword, deviceInfo },
  });
  expect(response.statusCode).toBe(200);
  const body = response.json();
  return { accessToken: body.accessToken as string, sessionId: body.sessionId as string };
}

async function latestLogin(app: TestApp, accessToken: string): Promise<LoginEntry> {
  const response = await get(app.app, '/auth/logins?limit=1', accessToken);
  expect(response.statusCode).toBe(200);
  return response.json().logins[0];
}

async function alertsTo(app: TestApp, email: string) {
  await app.platform.outbox.drain();
  return app.mailbox.to(email).filter((message) => message.subject === alertSubject);
}

describe('geo-located sign-ins (TRUST_PROXY on)', () => {
  it('locates the first public sign-in in the history and the session, and raises nothing', async () => {
    const { email } = await createVerifiedUser(test);
    const session = await loginFrom(test, email, mountainView.ip);

    expect(await latestLogin(test, session.accessToken)).toMatchObject({
      success: true,
      ipAddress: mountainView.ip,
      country: mountainView.country,
      city: mountainView.city,
      flags: [],
      sessionId: session.sessionId,
    });
    const sessions = await get(test.app, '/auth/sessions', session.accessToken);
    expect(sessions.json().sessions.find((listed: { current: boolean }) => listed.current)).toMatchObject({
      id: session.sessionId,
      ipAddress: mountainView.ip,
      country: mountainView.country,
      city: mountainView.city,
    });
    expect(await alertsTo(test, email)).toHaveLength(0);
  });

  it('flags a sign-in from a new country and emails the owner the time, place and device', async () => {
    const { email } = await createVerifiedUser(test);
    await loginFrom(test, email, mountainView.ip);
    // About 8,600 km in 24 h is a plausible flight: only the country is new.
    test.clock.advanceSeconds(hours(24));
    const abroad = await loginFrom(test, email, london.ip, { deviceName: 'Pixel 8', platform: 'Android' });

    expect(await latestLogin(test, abroad.accessToken)).toMatchObject({
      country: london.country,
      city: london.city,
      flags: ['new_location'],
    });
    const alerts = await alertsTo(test, email);
    expect(alerts).toHaveLength(1);
    const text = alerts[0]?.text ?? '';
    expect(text).toContain(test.clock.now().toISOString());
    expect(text).toContain(`${london.city}, ${london.country}`);
    expect(text).toContain(london.ip);
    expect(text).toContain('Pixel 8 on Android');
    expect(text).toMatch(/change your password/i);
  });

  it('flags impossible travel one hour after a sign-in far away', async () => {
    const { email } = await createVerifiedUser(test);
    await loginFrom(test, email, mountainView.ip);
    test.clock.advanceSeconds(hours(1));
    const session = await loginFrom(test, email, london.ip);

    expect((await latestLogin(test, session.accessToken)).flags).toEqual(['new_location', 'impossible_travel']);
    const alerts = await alertsTo(test, email);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.text).toContain('too far away');
  });

  it('flags impossible travel within one country', async () => {
    const { email } = await createVerifiedUser(test);
    await loginFrom(test, email, mountainView.ip);
    test.clock.advanceSeconds(hours(1));
    const session = await loginFrom(test, email, kansas.ip);

    expect(await latestLogin(test, session.accessToken)).toMatchObject({
      country: kansas.country,
      flags: ['impossible_travel'],
    });
    expect(await alertsTo(test, email)).toHaveLength(1);
  });

  it('does not flag a country seen recently, nor the same journey made slowly', async () => {
    const { email } = await createVerifiedUser(test);
    await loginFrom(test, email, mountainView.ip);
    test.clock.advanceSeconds(hours(24));
    await loginFrom(test, email, london.ip);
    expect(await alertsTo(test, email)).toHaveLength(1);

    test.clock.advanceSeconds(hours(6));
    const again = await loginFrom(test, email, london.ip);
    expect((await latestLogin(test, again.accessToken)).flags).toEqual([]);
    test.clock.advanceSeconds(hours(24));
    const home = await loginFrom(test, email, mountainView.ip);
    expect(await latestLogin(test, home.accessToken)).toMatchObject({ country: mountainView.country, flags: [] });
    expect(await alertsTo(test, email)).toHaveLength(1);
  });

  it('forgets countries after 180 days', async () => {
    const { email } = await createVerifiedUser(test);
    await loginFrom(test, email, mountainView.ip);
    test.clock.advanceSeconds(days(100));
    await loginFrom(test, email, london.ip);
    // The US sign-in is now 200 days old; only GB is remembered.
    test.clock.advanceSeconds(days(100));
    const session = await loginFrom(test, email, mountainView.ip);
    expect((await latestLogin(test, session.accessToken)).flags).toEqual(['new_location']);
  });

  it.each(['10.0.0.1', '192.168.1.1', '127.0.0.1', '::1'])(
    'gives %s no location and raises nothing, even right after a sign-in abroad',
    async (ip) => {
      const { email } = await createVerifiedUser(test);
      await loginFrom(test, email, london.ip);
      test.clock.advanceSeconds(60);
      const session = await loginFrom(test, email, ip);

      expect(await latestLogin(test, session.accessToken)).toMatchObject({
        ipAddress: ip,
        country: null,
        city: null,
        flags: [],
      });
      const sessions = await get(test.app, '/auth/sessions', session.accessToken);
      expect(sessions.json().sessions.find((listed: { current: boolean }) => listed.current)).toMatchObject({
        country: null,
        city: null,
      });
      expect(await alertsTo(test, email)).toHaveLength(0);

      // An unlocated sign-in is not a place to travel from: the next hop is judged from London.
      test.clock.advanceSeconds(60);
      const next = await loginFrom(test, email, london.ip);
      expect((await latestLogin(test, next.accessToken)).flags).toEqual([]);
    },
  );
});

describe('without TRUST_PROXY', () => {
  let direct: TestApp;
  beforeAll(async () => {
    direct = await buildTestApp();
  });
  afterAll(() => direct.close());

  it('ignores X-Forwarded-For: the sign-in has the socket address and no location', async () => {
    const email = uniqueEmail();
    await createVerifiedUser(direct, email);
    const session = await loginFrom(direct, email, mountainView.ip);
    expect(await latestLogin(direct, session.accessToken)).toMatchObject({
      ipAddress: '127.0.0.1',
      country: null,
      city: null,
      flags: [],
    });
    direct.clock.advanceSeconds(hours(1));
    const spoofed = await loginFrom(direct, email, london.ip);
    expect((await latestLogin(direct, spoofed.accessToken)).flags).toEqual([]);
    expect(await alertsTo(direct, email)).toHaveLength(0);
  });
});
