import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessStatus,
  buildTestApp,
  createAdmin,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  signIn,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { refreshTokens } from '../../db/schema.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

interface LoginEntry {
  id: number;
  createdAt: string;
  success: boolean;
  method: string;
  failureReason: string | null;
  deviceId: string | null;
  deviceName: string | null;
  platform: string | null;
  userAgent: string | null;
  flags: string[];
  sessionId: string | null;
}

interface TokenEntry {
  id: string;
  sessionId: string;
  device: { deviceId: string | null; deviceName: string | null; platform: string | null };
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
}

interface AuditEntry {
  id: number;
  action: string;
  actorUserId: number | null;
  targetUserId: number | null;
  ipAddress: string | null;
  details: Record<string, unknown>;
  createdAt: string;
}

describe('GET /auth/logins', () => {
  it("lists the caller's attempts newest first, failed ones included, with method and device", async () => {
    const email = uniqueEmail();
    const user = await createVerifiedUser(test, email, { deviceName: 'Signup Phone', platform: 'iOS' });
    test.clock.advanceSeconds(60);
    const failed = await test.app.inject({
      method: 'POST',
      url: '/auth/login',
      headers: { 'user-agent': 'AttackerBot/1.0' },
      payload: { email, password: 'not the right password', deviceInfo: { deviceId: 'bot-1', deviceName: 'Bot' } },
    });
    expectError(failed, 401, 'INVALID_CREDENTIALS');
    test.clock.advanceSeconds(60);
    const laptop = await signIn(test, email, {
      deviceName: 'Work Laptop',
      platform: 'macOS',
      deviceId: 'laptop-42',
      userAgent: 'Gatehouse-CLI/2.1',
    });

    const response = await get(test.app, '/auth/logins', user.accessToken);
    expect(response.statusCode).toBe(200);
    const { total, logins } = response.json() as { total: number; logins: LoginEntry[] };
    expect(total).toBe(3);
    expect(logins.map((entry) => [entry.method, entry.success])).toEqual([
      ['password', true],
      ['password', false],
      ['verify_email', true],
    ]);
    expect(logins[0]).toMatchObject({
      failureReason: null,
      deviceId: 'laptop-42',
      deviceName: 'Work Laptop',
      platform: 'macOS',
      userAgent: 'Gatehouse-CLI/2.1',
      flags: [],
      sessionId: laptop.sessionId,
    });
    expect(logins[1]).toMatchObject({
      failureReason: 'INVALID_CREDENTIALS',
      deviceId: 'bot-1',
      deviceName: 'Bot',
      userAgent: 'AttackerBot/1.0',
      sessionId: null,
    });
    expect(logins[2]).toMatchObject({ deviceName: 'Signup Phone', platform: 'iOS', sessionId: user.sessionId });
    const times = logins.map((entry) => Date.parse(entry.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(times).size).toBe(3);
  });

  it('pages with limit and offset and reports the total', async () => {
    const email = uniqueEmail();
    const user = await createVerifiedUser(test, email);
    for (let attempt = 0; attempt < 4; attempt += 1) {
      test.clock.advanceSeconds(60);
      await signIn(test, email, { deviceName: `Device ${attempt}` });
    }
    const all = (await get(test.app, '/auth/logins?limit=100', user.accessToken)).json();
    expect(all.total).toBe(5);
    const ids = all.logins.map((entry: LoginEntry) => entry.id);
    expect(all.logins.map((entry: LoginEntry) => entry.deviceName)).toEqual([
      'Device 3',
      'Device 2',
      'Device 1',
      'Device 0',
      'Test Device',
    ]);

    const first = (await get(test.app, '/auth/logins?limit=2', user.accessToken)).json();
    const second = (await get(test.app, '/auth/logins?limit=2&offset=2', user.accessToken)).json();
    const last = (await get(test.app, '/auth/logins?limit=2&offset=4', user.accessToken)).json();
    expect([first.total, second.total, last.total]).toEqual([5, 5, 5]);
    expect([...first.logins, ...second.logins, ...last.logins].map((entry: LoginEntry) => entry.id)).toEqual(ids);
    expect(last.logins).toHaveLength(1);
    expect((await get(test.app, '/auth/logins?offset=10', user.accessToken)).json()).toEqual({ total: 5, logins: [] });

    for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=abc', 'page=2']) {
      expectError(await get(test.app, `/auth/logins?${query}`, user.accessToken), 400, 'VALIDATION_FAILED');
    }
  });

  it("shows only the caller's attempts", async () => {
    const alice = await createVerifiedUser(test, uniqueEmail('alice'));
    const bob = await createVerifiedUser(test, uniqueEmail('bob'));
    test.clock.advanceSeconds(60);
    await signIn(test, bob.email, { deviceName: 'Bob phone' });
    expectError(
      await post(test.app, '/auth/login', { email: bob.email, password: 'wrong password here' }),
      401,
      'INVALID_CREDENTIALS',
    );

    const mine = (await get(test.app, '/auth/logins', alice.accessToken)).json();
    expect(mine.total).toBe(1);
    expect(mine.logins.map((entry: LoginEntry) => entry.sessionId)).toEqual([alice.sessionId]);
    expect((await get(test.app, '/auth/logins', bob.accessToken)).json().total).toBe(3);
    expectError(await get(test.app, '/auth/logins'), 401, 'UNAUTHORIZED');
  });
});

describe('GET /auth/tokens and DELETE /auth/token/:tokenId', () => {
  const listTokens = async (accessToken: string) => {
    const response = await get(test.app, '/auth/tokens', accessToken);
    expect(response.statusCode).toBe(200);
    return { text: response.body, tokens: response.json().tokens as TokenEntry[] };
  };

  it('lists one token per live session with its device and times', async () => {
    const email = uniqueEmail();
    const phone = await createVerifiedUser(test, email, { deviceName: 'Phone', platform: 'iOS', deviceId: 'p-1' });
    test.clock.advanceSeconds(60);
    const laptop = await signIn(test, email, { deviceName: 'Laptop', platform: 'Linux', deviceId: 'l-1' });
    // Signing in again on the same device replaces its session, so it still counts once.
    test.clock.advanceSeconds(60);
    const laptopAgain = await signIn(test, email, { deviceName: 'Laptop', platform: 'Linux', deviceId: 'l-1' });
    // A signed-out session is not listed.
    const gone = await signIn(test, email, { deviceName: 'Kiosk' });
    expect((await post(test.app, '/auth/logout', {}, gone.accessToken)).statusCode).toBe(200);

    const { tokens } = await listTokens(phone.accessToken);
    expect(tokens.map((token) => token.sessionId).sort()).toEqual([phone.sessionId, laptopAgain.sessionId].sort());
    expect(tokens.map((token) => token.sessionId)).not.toContain(laptop.sessionId);
    const laptopToken = tokens.find((token) => token.sessionId === laptopAgain.sessionId);
    expect(laptopToken).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sessionId: laptopAgain.sessionId,
      device: { deviceId: 'l-1', deviceName: 'Laptop', platform: 'Linux' },
      ipAddress: '127.0.0.1',
      country: null,
      city: null,
      createdAt: test.clock.now().toISOString(),
      lastUsedAt: test.clock.now().toISOString(),
      expiresAt: expect.any(String),
    });
    expect(Date.parse(laptopToken?.expiresAt ?? '')).toBeGreaterThan(test.clock.now().getTime());
  });

  it('shows the new token after a refresh and never the token values or their hashes', async () => {
    const email = uniqueEmail();
    const user = await createVerifiedUser(test, email, { deviceName: 'Phone', deviceId: 'phone-7' });
    const other = await signIn(test, email, { deviceName: 'Tablet', deviceId: 'tablet-7' });
    const before = await listTokens(user.accessToken);
    const oldId = before.tokens.find((token) => token.sessionId === user.sessionId)?.id;

    test.clock.advanceSeconds(120);
    const refreshed = await post(test.app, '/auth/refresh', { refreshToken: user.refreshToken });
    expect(refreshed.statusCode).toBe(200);
    const { accessToken, refreshToken } = refreshed.json();
    const after = await listTokens(accessToken);
    const current = after.tokens.find((token) => token.sessionId === user.sessionId);
    expect(current?.id).toEqual(expect.any(String));
    expect(current?.id).not.toBe(oldId);
    expect(current).toMatchObject({
      createdAt: test.clock.now().toISOString(),
      lastUsedAt: test.clock.now().toISOString(),
    });
    expect(after.tokens).toHaveLength(2);

    const rows = await test.db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.userId));
    const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
    const secrets = [
      user.refreshToken,
      refreshToken,
      other.refreshToken,
      sha256(user.refreshToken),
      sha256(refreshToken),
      sha256(other.refreshToken),
      user.accessToken,
      accessToken,
      other.accessToken,
      ...rows.map((row) => row.tokenHash),
    ];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (const text of [before.text, after.text]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });

  it('revokes a token and signs its device out, leaving the others signed in', async () => {
    const email = uniqueEmail();
    const phone = await createVerifiedUser(test, email, { deviceName: 'Phone', deviceId: 'phone-9' });
    const laptop = await signIn(test, email, { deviceName: 'Laptop', deviceId: 'laptop-9' });
    const { tokens } = await listTokens(phone.accessToken);
    const laptopToken = tokens.find((token) => token.sessionId === laptop.sessionId);
    if (!laptopToken) throw new Error('laptop token not listed');

    const revoked = await del(test.app, `/auth/token/${laptopToken.id}`, phone.accessToken);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toEqual({ message: expect.any(String) });

    expect(await accessStatus(test, laptop.accessToken)).toBe(401);
    expectError(
      await post(test.app, '/auth/refresh', { refreshToken: laptop.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    expect((await listTokens(phone.accessToken)).tokens.map((token) => token.sessionId)).toEqual([phone.sessionId]);
    expect(await accessStatus(test, phone.accessToken)).toBe(200);
    // Already revoked: gone.
    expectError(await del(test.app, `/auth/token/${laptopToken.id}`, phone.accessToken), 404, 'TOKEN_NOT_FOUND');
  });

  it("answers 404 for another user's token and leaves it working; 400 for a malformed id", async () => {
    const alice = await createVerifiedUser(test, uniqueEmail('alice'));
    const bob = await createVerifiedUser(test, uniqueEmail('bob'));
    const [bobToken] = (await listTokens(bob.accessToken)).tokens;
    if (!bobToken) throw new Error('bob has no token');

    expectError(await del(test.app, `/auth/token/${bobToken.id}`, alice.accessToken), 404, 'TOKEN_NOT_FOUND');
    expect(await accessStatus(test, bob.accessToken)).toBe(200);
    expect((await post(test.app, '/auth/refresh', { refreshToken: bob.refreshToken })).statusCode).toBe(200);

    expectError(
      await del(test.app, '/auth/token/00000000-0000-4000-8000-000000000000', alice.accessToken),
      404,
      'TOKEN_NOT_FOUND',
    );
    expectError(await del(test.app, '/auth/token/not-a-uuid', alice.accessToken), 400, 'VALIDATION_FAILED');
    expectError(await del(test.app, `/auth/token/${bobToken.id}`), 401, 'UNAUTHORIZED');
    expectError(await get(test.app, '/auth/tokens'), 401, 'UNAUTHORIZED');
  });
});

describe('GET /admin/audit', () => {
  let admin: Awaited<ReturnType<typeof createAdmin>>;
  beforeAll(async () => {
    admin = await createAdmin(test);
  });

  const audit = async (query: string) => {
    const response = await get(test.app, `/admin/audit?${query}`, admin.accessToken);
    expect(response.statusCode).toBe(200);
    return response.json() as { total: number; events: AuditEntry[] };
  };

  it('records an admin lock with actor, target and address', async () => {
    const target = await createVerifiedUser(test);
    const locked = await post(
      test.app,
      `/admin/users/${target.userId}/lock`,
      { reason: 'fraud review' },
      admin.accessToken,
    );
    expect(locked.statusCode).toBe(200);
    expect(await accessStatus(test, target.accessToken)).toBe(401);

    const { total, events } = await audit(`userId=${target.userId}&action=user.locked`);
    expect(total).toBe(1);
    expect(events[0]).toMatchObject({
      action: 'user.locked',
      actorUserId: admin.userId,
      targetUserId: target.userId,
      ipAddress: '127.0.0.1',
      details: { reason: 'fraud review' },
      createdAt: test.clock.now().toISOString(),
    });
    // Locking also ended the user's sessions, and that is recorded too.
    const revoked = await audit(`userId=${target.userId}&action=session.revoked_all`);
    expect(revoked.events).toEqual([
      expect.objectContaining({ actorUserId: admin.userId, targetUserId: target.userId }),
    ]);
  });

  it('filters by user and action, newest first', async () => {
    const target = await createVerifiedUser(test);
    const bystander = await createVerifiedUser(test);
    test.clock.advanceSeconds(60);
    await post(test.app, '/auth/login', { email: target.email, password: 'wrong password here' });
    test.clock.advanceSeconds(60);
    await signIn(test, target.email);
    test.clock.advanceSeconds(60);
    await post(test.app, '/auth/login', { email: target.email, password: 'wrong password again' });

    const mine = await audit(`userId=${target.userId}`);
    expect(mine.events.every((event) => event.targetUserId === target.userId)).toBe(true);
    expect(mine.events.map((event) => event.action).slice(0, 3)).toEqual([
      'login.failed',
      'login.succeeded',
      'login.failed',
    ]);
    const times = mine.events.map((event) => Date.parse(event.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(mine.total).toBe(mine.events.length);

    const failures = await audit(`userId=${target.userId}&action=login.failed`);
    expect(failures.total).toBe(2);
    expect(failures.events.map((event) => event.details)).toEqual([
      expect.objectContaining({ method: 'password', reason: 'INVALID_CREDENTIALS' }),
      expect.objectContaining({ method: 'password', reason: 'INVALID_CREDENTIALS' }),
    ]);
    expect((await audit(`userId=${bystander.userId}&action=login.failed`)).total).toBe(0);
  });

  it('filters by time range: from inclusive, to exclusive', async () => {
    const target = await createVerifiedUser(test);
    test.clock.advanceSeconds(3600);
    const early = test.clock.now().toISOString();
    expect(
      (await post(test.app, `/admin/users/${target.userId}/lock`, { reason: 'first' }, admin.accessToken)).statusCode,
    ).toBe(200);
    test.clock.advanceSeconds(3600);
    const late = test.clock.now().toISOString();
    expect(
      (await post(test.app, `/admin/users/${target.userId}/unlock`, undefined, admin.accessToken)).statusCode,
    ).toBe(200);
    test.clock.advanceSeconds(3600);

    const actions = async (range: string) =>
      (await audit(`userId=${target.userId}&${range}`)).events.map((event) => event.action);
    expect(await actions(`from=${encodeURIComponent(late)}`)).toEqual(['user.unlocked']);
    expect(await actions(`from=${encodeURIComponent(early)}&to=${encodeURIComponent(late)}`)).toEqual([
      'user.locked',
      'session.revoked_all',
    ]);
    const before = await actions(`to=${encodeURIComponent(early)}`);
    expect(before).toContain('email.verified');
    expect(before).not.toContain('user.locked');
    expectError(await get(test.app, '/admin/audit?from=yesterday', admin.accessToken), 400, 'VALIDATION_FAILED');
  });

  it('pages with limit and offset and reports the total', async () => {
    const target = await createVerifiedUser(test);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      test.clock.advanceSeconds(60);
      await post(test.app, '/auth/login', { email: target.email, password: `wrong password ${attempt}` });
    }
    const filter = `userId=${target.userId}&action=login.failed`;
    const all = await audit(`${filter}&limit=200`);
    expect(all.total).toBe(5);
    const pages = [
      await audit(`${filter}&limit=2`),
      await audit(`${filter}&limit=2&offset=2`),
      await audit(`${filter}&limit=2&offset=4`),
    ];
    expect(pages.map((page) => page.total)).toEqual([5, 5, 5]);
    expect(pages.map((page) => page.events.length)).toEqual([2, 2, 1]);
    expect(pages.flatMap((page) => page.events.map((event) => event.id))).toEqual(all.events.map((event) => event.id));
    expectError(await get(test.app, `/admin/audit?${filter}&limit=201`, admin.accessToken), 400, 'VALIDATION_FAILED');
  });

  it('is refused to a USER and to anonymous callers', async () => {
    const user = await createVerifiedUser(test);
    expectError(await get(test.app, '/admin/audit', user.accessToken), 403, 'FORBIDDEN');
    expectError(await get(test.app, `/admin/audit?userId=${user.userId}`, user.accessToken), 403, 'FORBIDDEN');
    expectError(await get(test.app, '/admin/audit'), 401, 'UNAUTHORIZED');
    // Also users may not lock anyone, and nothing is recorded when they try.
    const other = await createVerifiedUser(test);
    expectError(await post(test.app, `/admin/users/${other.userId}/lock`, {}, user.accessToken), 403, 'FORBIDDEN');
    expect((await audit(`userId=${other.userId}&action=user.locked`)).total).toBe(0);
    expect(await accessStatus(test, other.accessToken)).toBe(200);
  });
});
