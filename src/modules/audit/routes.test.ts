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
} from '../../../test/helpers.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

interface AuditEventBody {
  id: number;
  action: string;
  actorUserId: number | null;
  targetUserId: number | null;
  ipAddress: string | null;
  userAgent: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

/** GET /admin/audit with `query`, asserting 200. */
async function listAudit(accessToken: string, query: Record<string, string | number>) {
  const search = new URLSearchParams(
    Object.entries(query).map(([key, value]): [string, string] => [key, String(value)]),
  );
  const response = await get(test.app, `/admin/audit?${search}`, accessToken);
  expect(response.statusCode).toBe(200);
  return response.json() as { total: number; events: AuditEventBody[] };
}

async function signInOnce(email: string) {
  const response = await post(test.app, '/auth/login', { email, password: strongPassword });
  expect(response.statusCode).toBe(200);
}

describe('GET /admin/audit', () => {
  it('needs a token (401) and the audit.read permission (403 for a USER)', async () => {
    const user = await createVerifiedUser(test);

    expectError(await get(test.app, `/admin/audit?userId=${user.userId}`), 401, 'UNAUTHORIZED');
    expectError(await get(test.app, `/admin/audit?userId=${user.userId}`, user.accessToken), 403, 'FORBIDDEN');
  });

  it("shows an ADMIN a new user's registration and sign-ins, filtered by userId and by action", async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const bystander = await createVerifiedUser(test);
    await signInOnce(user.email);

    const aboutUser = await listAudit(admin.accessToken, { userId: user.userId });
    const actions = aboutUser.events.map((event) => event.action);
    expect(actions).toContain('user.registered');
    expect(actions).toContain('login.succeeded');
    expect(aboutUser.events.every((event) => event.targetUserId === user.userId)).toBe(true);
    expect(aboutUser.total).toBe(aboutUser.events.length);
    const registered = aboutUser.events.filter((event) => event.action === 'user.registered');
    expect(registered).toEqual([expect.objectContaining({ actorUserId: user.userId, targetUserId: user.userId })]);

    const signIns = await listAudit(admin.accessToken, { userId: user.userId, action: 'login.succeeded' });
    expect(signIns.events.length).toBeGreaterThanOrEqual(1);
    expect(signIns.events.every((event) => event.action === 'login.succeeded')).toBe(true);
    expect(signIns.total).toBe(actions.filter((action) => action === 'login.succeeded').length);

    // Filtered by action alone, the trail holds other users' events too.
    const allRegistrations = await listAudit(admin.accessToken, { action: 'user.registered', limit: 200 });
    const registeredUsers = allRegistrations.events.map((event) => event.targetUserId);
    expect(registeredUsers).toEqual(expect.arrayContaining([user.userId, bystander.userId]));
    expect(allRegistrations.events.every((event) => event.action === 'user.registered')).toBe(true);
  });

  it("records an event with the request's IP address and User-Agent and the signed-in user as actor", async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    const response = await test.app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: user.email, password: strongPassword },
      headers: { 'user-agent': 'AuditTest/1.0' },
      remoteAddress: '203.0.113.45',
    });
    expect(response.statusCode).toBe(200);

    const { events } = await listAudit(admin.accessToken, {
      userId: user.userId,
      action: 'login.succeeded',
      limit: 1,
    });

    expect(events[0]).toMatchObject({
      action: 'login.succeeded',
      ipAddress: '203.0.113.45',
      userAgent: 'AuditTest/1.0',
      actorUserId: user.userId,
      targetUserId: user.userId,
    });
  });

  it('filters by time with from (inclusive) and to (exclusive)', async () => {
    const user = await createVerifiedUser(test);
    const signedUpAt = test.clock.now();
    test.clock.advanceSeconds(3600);
    const firstSignInAt = test.clock.now();
    await signInOnce(user.email);
    test.clock.advanceSeconds(3600);
    const secondSignInAt = test.clock.now();
    await signInOnce(user.email);
    test.clock.advanceSeconds(60);
    const admin = await createAdmin(test);
    const around = (from: Date, to: Date) =>
      listAudit(admin.accessToken, { userId: user.userId, from: from.toISOString(), to: to.toISOString() });

    const beforeSignIns = await around(signedUpAt, firstSignInAt);
    expect(beforeSignIns.events.map((event) => event.action)).toContain('user.registered');
    expect(beforeSignIns.events.every((event) => event.createdAt === signedUpAt.toISOString())).toBe(true);

    const firstHour = await around(firstSignInAt, secondSignInAt);
    expect(firstHour.total).toBe(1);
    expect(firstHour.events).toEqual([
      expect.objectContaining({ action: 'login.succeeded', createdAt: firstSignInAt.toISOString() }),
    ]);

    const fromSecond = await listAudit(admin.accessToken, { userId: user.userId, from: secondSignInAt.toISOString() });
    expect(fromSecond.events).toEqual([
      expect.objectContaining({ action: 'login.succeeded', createdAt: secondSignInAt.toISOString() }),
    ]);
  });

  it('pages newest first with limit and offset and reports the total', async () => {
    const admin = await createAdmin(test);
    const user = await createVerifiedUser(test);
    for (let index = 0; index < 3; index += 1) {
      test.clock.advanceSeconds(1);
      await signInOnce(user.email);
    }

    const all = await listAudit(admin.accessToken, { userId: user.userId, limit: 200 });
    expect(all.total).toBeGreaterThanOrEqual(5);
    expect(all.events).toHaveLength(all.total);
    const times = all.events.map((event) => event.createdAt);
    expect(times).toEqual([...times].sort().reverse());

    const pages = [];
    for (let offset = 0; offset < all.total; offset += 2) {
      const page = await listAudit(admin.accessToken, { userId: user.userId, limit: 2, offset });
      expect(page.total).toBe(all.total);
      expect(page.events.length).toBeLessThanOrEqual(2);
      pages.push(...page.events);
    }
    expect(pages.map((event) => event.id)).toEqual(all.events.map((event) => event.id));

    const pastTheEnd = await listAudit(admin.accessToken, { userId: user.userId, offset: all.total });
    expect(pastTheEnd).toEqual({ total: all.total, events: [] });
  });

  it.each([
    ['an action that is not a dotted name', 'action=login'],
    ['an action with SQL in it', `action=${encodeURIComponent("login.succeeded' or 1=1 --")}`],
    ['a limit of 0', 'limit=0'],
    ['a limit above 200', 'limit=201'],
    ['a from that is not a date-time', 'from=yesterday'],
  ])('refuses %s with 400 VALIDATION_FAILED', async (_case, query) => {
    const admin = await createAdmin(test);

    expectError(await get(test.app, `/admin/audit?${query}`, admin.accessToken), 400, 'VALIDATION_FAILED');
  });
});
