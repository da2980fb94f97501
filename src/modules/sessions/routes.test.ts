import { and, eq, isNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessStatus,
  buildTestApp,
  createVerifiedUser,
  del,
  expectError,
  get,
  post,
  signIn,
  type TestApp,
} from '../../../test/helpers.js';
import { auditEvents, refreshTokens, sessions } from '../../db/schema.js';
import { sha256Hex } from '../../platform/secrets.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

const refresh = (refreshToken: string, path = '/auth/refresh') => post(test.app, path, { refreshToken });

interface ListedSession {
  id: string;
  current: boolean;
  deviceId: string | null;
  deviceName: string | null;
  platform: string | null;
  appVersion: string | null;
}

describe('POST /auth/refresh and /auth/token/refresh', () => {
  it.each(['/auth/refresh', '/auth/token/refresh'])(
    '%s rotates: the new tokens work, the old refresh token does not',
    async (path) => {
      const user = await createVerifiedUser(test);
      const response = await refresh(user.refreshToken, path);
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const body = response.json();
      expect(body).toMatchObject({
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        sessionId: user.sessionId,
        tokenType: 'Bearer',
        expiresIn: expect.any(Number),
      });
      expect(body.refreshToken).not.toBe(user.refreshToken);
      expect(await accessStatus(test, body.accessToken)).toBe(200);

      expectError(await refresh(user.refreshToken, path), 401, 'REFRESH_TOKEN_REUSED');
      // The newest token is still good (the reuse above was inside the grace window).
      expect((await refresh(body.refreshToken, path)).statusCode).toBe(200);
    },
  );

  it('lets exactly one of two concurrent refreshes with one token succeed', async () => {
    const user = await createVerifiedUser(test);
    const responses = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses).toEqual([200, 401]);
    const winner = responses.find((response) => response.statusCode === 200);
    const loser = responses.find((response) => response.statusCode === 401);
    expect(loser?.json().code).toBe('REFRESH_TOKEN_REUSED');
    // Exactly one new token was issued for the session.
    const unused = await test.db
      .select()
      .from(refreshTokens)
      .where(and(eq(refreshTokens.sessionId, user.sessionId), isNull(refreshTokens.rotatedAt)));
    expect(unused).toHaveLength(1);
    // The race is not treated as theft: the winner's tokens keep working.
    expect(await accessStatus(test, winner?.json().accessToken)).toBe(200);
    expect((await refresh(winner?.json().refreshToken)).statusCode).toBe(200);
  });

  it('revokes the whole session and audits it when a rotated token comes back after the grace window', async () => {
    const user = await createVerifiedUser(test);
    const first = (await refresh(user.refreshToken)).json();
    const second = (await refresh(first.refreshToken)).json();
    expect(second.refreshToken).toEqual(expect.any(String));
    test.clock.advanceSeconds(11);

    expectError(await refresh(user.refreshToken), 401, 'REFRESH_TOKEN_REUSED');

    expectError(await get(test.app, '/auth/sessions', second.accessToken), 401, 'UNAUTHORIZED');
    expectError(await refresh(second.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    const audited = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'refresh_token.reused'), eq(auditEvents.targetUserId, user.userId)));
    expect(audited).toHaveLength(1);
    expect(audited[0]?.details).toMatchObject({ sessionId: user.sessionId });
  });

  it('refuses a rotated token within the grace window without ending the session', async () => {
    const user = await createVerifiedUser(test);
    const rotated = (await refresh(user.refreshToken)).json();
    test.clock.advanceSeconds(5);

    expectError(await refresh(user.refreshToken), 401, 'REFRESH_TOKEN_REUSED');

    expect(await accessStatus(test, rotated.accessToken)).toBe(200);
    const next = await refresh(rotated.refreshToken);
    expect(next.statusCode).toBe(200);
    expect(await accessStatus(test, next.json().accessToken)).toBe(200);
    const audited = await test.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, 'refresh_token.reused'), eq(auditEvents.targetUserId, user.userId)));
    expect(audited).toHaveLength(0);
  });
});

describe('POST /auth/logout', () => {
  it('ends the session named by the bearer token', async () => {
    const user = await createVerifiedUser(test);
    const other = await signIn(test, user.email);
    const response = await post(test.app, '/auth/logout', undefined, user.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: expect.any(String) });

    expectError(await get(test.app, '/auth/sessions', user.accessToken), 401, 'UNAUTHORIZED');
    expectError(await refresh(user.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    // Only this session ended.
    expect(await accessStatus(test, other.accessToken)).toBe(200);
  });

  it('ends the session named by a refresh token in the body', async () => {
    const user = await createVerifiedUser(test);
    const response = await post(test.app, '/auth/logout', { refreshToken: user.refreshToken });
    expect(response.statusCode).toBe(200);

    expectError(await get(test.app, '/auth/sessions', user.accessToken), 401, 'UNAUTHORIZED');
    expectError(await refresh(user.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
  });

  it('still logs out by refresh token when the bearer token has expired', async () => {
    const user = await createVerifiedUser(test);
    test.clock.advanceSeconds(8 * 24 * 3600);
    const response = await post(test.app, '/auth/logout', { refreshToken: user.refreshToken }, user.accessToken);
    expect(response.statusCode).toBe(200);
    expectError(await refresh(user.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
  });

  it('does not accept an already rotated refresh token as proof for logout', async () => {
    const user = await createVerifiedUser(test);
    const rotated = await refresh(user.refreshToken);
    expect(rotated.statusCode).toBe(200);
    expectError(
      await post(test.app, '/auth/logout', { refreshToken: user.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    expect(await accessStatus(test, rotated.json().accessToken)).toBe(200);
  });

  it('answers 401 UNAUTHORIZED without a bearer token or a refresh token', async () => {
    expectError(await post(test.app, '/auth/logout'), 401, 'UNAUTHORIZED');
    expectError(await post(test.app, '/auth/logout', {}), 401, 'UNAUTHORIZED');
  });
});

describe('GET /auth/sessions', () => {
  it('lists the live sessions with device fields and marks the caller’s as current', async () => {
    const user = await createVerifiedUser(test);
    const phone = await signIn(test, user.email, {
      deviceId: `phone-${user.userId}`,
      deviceName: 'iPhone 13',
      platform: 'iOS',
      appVersion: '1.0.0',
    });
    const response = await get(test.app, '/auth/sessions', user.accessToken);
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json();
    expect(body.userId).toBe(user.userId);
    const sessions = body.sessions as ListedSession[];
    expect(sessions.map((session) => session.id).sort()).toEqual([user.sessionId, phone.sessionId].sort());
    expect(sessions.find((session) => session.id === user.sessionId)).toMatchObject({
      current: true,
      deviceName: 'Test Device',
      platform: 'Test',
      deviceId: null,
    });
    expect(sessions.find((session) => session.id === phone.sessionId)).toMatchObject({
      current: false,
      deviceId: `phone-${user.userId}`,
      deviceName: 'iPhone 13',
      platform: 'iOS',
      appVersion: '1.0.0',
      createdAt: expect.any(String),
      lastActiveAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    // The phone sees itself as current.
    const fromPhone = (await get(test.app, '/auth/sessions', phone.accessToken)).json().sessions as ListedSession[];
    expect(fromPhone.filter((session) => session.current).map((session) => session.id)).toEqual([phone.sessionId]);
  });

  it('requires a bearer token', async () => {
    expectError(await get(test.app, '/auth/sessions'), 401, 'UNAUTHORIZED');
  });
});

describe('DELETE /auth/sessions/:sessionId', () => {
  it('signs the other device out at once: its access and refresh tokens stop working', async () => {
    const user = await createVerifiedUser(test);
    const laptop = await signIn(test, user.email, { deviceName: 'Laptop', platform: 'Web' });
    expect(await accessStatus(test, laptop.accessToken)).toBe(200);

    const response = await del(test.app, `/auth/sessions/${laptop.sessionId}`, user.accessToken);
    expect(response.statusCode).toBe(200);

    expectError(await get(test.app, '/auth/sessions', laptop.accessToken), 401, 'UNAUTHORIZED');
    expectError(await refresh(laptop.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    // The caller is still signed in and no longer sees the laptop.
    const list = await get(test.app, '/auth/sessions', user.accessToken);
    expect(list.statusCode).toBe(200);
    expect(list.json().sessions.map((session: ListedSession) => session.id)).toEqual([user.sessionId]);
  });

  it('answers 404 SESSION_NOT_FOUND for another user’s session and leaves it alone', async () => {
    const alice = await createVerifiedUser(test);
    const bob = await createVerifiedUser(test);
    expectError(await del(test.app, `/auth/sessions/${bob.sessionId}`, alice.accessToken), 404, 'SESSION_NOT_FOUND');
    expect(await accessStatus(test, bob.accessToken)).toBe(200);
    // An id nobody has answers the same.
    expectError(
      await del(test.app, '/auth/sessions/00000000-0000-4000-8000-000000000000', alice.accessToken),
      404,
      'SESSION_NOT_FOUND',
    );
  });

  it('answers 400 VALIDATION_FAILED for a malformed id', async () => {
    const user = await createVerifiedUser(test);
    expectError(await del(test.app, '/auth/sessions/not-a-uuid', user.accessToken), 400, 'VALIDATION_FAILED');
    expect(await accessStatus(test, user.accessToken)).toBe(200);
  });
});

describe('DELETE /auth/sessions', () => {
  it('ends every session of the caller, this one included', async () => {
    const user = await createVerifiedUser(test);
    const phone = await signIn(test, user.email, { deviceId: `phone-${user.userId}`, deviceName: 'Phone' });
    const bystander = await createVerifiedUser(test);

    const response = await del(test.app, '/auth/sessions', user.accessToken);
    expect(response.statusCode).toBe(200);

    for (const tokens of [user, phone]) {
      expectError(await get(test.app, '/auth/sessions', tokens.accessToken), 401, 'UNAUTHORIZED');
      expectError(await refresh(tokens.refreshToken), 401, 'REFRESH_TOKEN_INVALID');
    }
    // Other users are not affected.
    expect(await accessStatus(test, bystander.accessToken)).toBe(200);
  });
});

describe('expiry', () => {
  it('stops a session past SESSION_TTL, even with a freshly refreshed access token', async () => {
    const user = await createVerifiedUser(test);
    test.clock.advanceSeconds(29 * 24 * 3600);
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    const { accessToken, refreshToken } = refreshed.json();
    expect(await accessStatus(test, accessToken)).toBe(200);

    // Day 31: the access token is two days old, but the 30-day session is over.
    test.clock.advanceSeconds(2 * 24 * 3600);
    expectError(await get(test.app, '/auth/sessions', accessToken), 401, 'UNAUTHORIZED');
    expectError(await refresh(refreshToken), 401, 'REFRESH_TOKEN_INVALID');
  });

  it('issues a refresh token that expires with its session, never after it', async () => {
    const user = await createVerifiedUser(test);
    test.clock.advanceSeconds(29 * 24 * 3600);
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    const [stored] = await test.db
      .select({ expiresAt: refreshTokens.expiresAt, sessionExpiresAt: sessions.expiresAt })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .where(eq(refreshTokens.tokenHash, sha256Hex(refreshed.json().refreshToken)));
    // Day 29 of a 30-day session: the token's own 30-day lifetime is cut to the session's end.
    expect(stored?.expiresAt).toEqual(stored?.sessionExpiresAt);
  });

  it('refuses an access token past its exp while its session still refreshes', async () => {
    const user = await createVerifiedUser(test);
    expect(await accessStatus(test, user.accessToken)).toBe(200);
    test.clock.advanceSeconds(8 * 24 * 3600);
    expectError(await get(test.app, '/auth/sessions', user.accessToken), 401, 'UNAUTHORIZED');
    const refreshed = await refresh(user.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    expect(await accessStatus(test, refreshed.json().accessToken)).toBe(200);
  });
});
