import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { type RequestContext, runInRequestContext } from '../../core/request-context.js';
import { createAuditRecorder } from './recorder.js';
import type { AuditEvent, AuditRepository } from './repository.js';

const fixedNow = new Date('2031-07-04T12:34:56.789Z');

/** The recorder over a repository that keeps what it is asked to insert. */
function setup(now: () => Date = () => fixedNow) {
  const events: AuditEvent[] = [];
  const audit: AuditRepository = {
    async insertAuditEvent(event) {
      events.push(event);
    },
    async listAuditEvents() {
      throw new Error('the recorder only writes');
    },
  };
  return { events, recorder: createAuditRecorder({ audit, clock: { now } }) };
}

const signedIn: RequestContext = {
  client: { ipAddress: '203.0.113.7', userAgent: 'RecorderTest/2.0' },
  actorUserId: 42,
};

describe('audit recorder', () => {
  it('records no address, agent or actor outside a request', async () => {
    const { events, recorder } = setup();

    await recorder.record('user.deleted', { targetUserId: 7 });

    expect(events).toEqual([
      {
        action: 'user.deleted',
        actorUserId: null,
        targetUserId: 7,
        ipAddress: null,
        userAgent: null,
        details: {},
        createdAt: fixedNow,
      },
    ]);
  });

  it("takes the client's address and user agent and the signed-in caller from the request context", async () => {
    const { events, recorder } = setup();

    await runInRequestContext(signedIn, () => recorder.record('user.locked', { targetUserId: 9 }));

    expect(events).toEqual([
      {
        action: 'user.locked',
        actorUserId: 42,
        targetUserId: 9,
        ipAddress: '203.0.113.7',
        userAgent: 'RecorderTest/2.0',
        details: {},
        createdAt: fixedNow,
      },
    ]);
  });

  it('records a request without a user agent or a signed-in caller as null', async () => {
    const { events, recorder } = setup();

    await runInRequestContext({ client: { ipAddress: '198.51.100.2', userAgent: null }, actorUserId: null }, () =>
      recorder.record('password.reset_requested'),
    );

    expect(events[0]).toMatchObject({
      actorUserId: null,
      targetUserId: null,
      ipAddress: '198.51.100.2',
      userAgent: null,
    });
  });

  it("lets an explicit actorUserId, a number or null, override the context's caller", async () => {
    const { events, recorder } = setup();

    await runInRequestContext(signedIn, async () => {
      await recorder.record('login.succeeded', { actorUserId: 5, targetUserId: 5 });
      await recorder.record('login.failed', { actorUserId: null, targetUserId: 5 });
      await recorder.record('profile.updated', { actorUserId: undefined, targetUserId: 42 });
    });

    expect(events.map(({ action, actorUserId, ipAddress }) => ({ action, actorUserId, ipAddress }))).toEqual([
      { action: 'login.succeeded', actorUserId: 5, ipAddress: '203.0.113.7' },
      { action: 'login.failed', actorUserId: null, ipAddress: '203.0.113.7' },
      { action: 'profile.updated', actorUserId: 42, ipAddress: '203.0.113.7' },
    ]);
  });

  it("stamps each event with the clock's time, not the system's", async () => {
    let now = new Date('2030-01-01T00:00:00Z');
    const { events, recorder } = setup(() => now);

    await recorder.record('session.logout');
    now = new Date('2030-01-01T00:05:00Z');
    await recorder.record('session.revoked');

    expect(events.map((event) => event.createdAt.toISOString())).toEqual([
      '2030-01-01T00:00:00.000Z',
      '2030-01-01T00:05:00.000Z',
    ]);
  });

  it('keeps the details it is given and defaults them to {}', async () => {
    const { events, recorder } = setup();

    await recorder.record('role.assigned', { targetUserId: 3, details: { role: 'ADMIN' } });
    await recorder.record('role.removed', { targetUserId: 3 });

    expect(events.map((event) => event.details)).toEqual([{ role: 'ADMIN' }, {}]);
  });

  it('keeps the context across awaits, and each request its own', async () => {
    const { events, recorder } = setup();
    const request = (ipAddress: string, actorUserId: number, delayMs: number) =>
      runInRequestContext({ client: { ipAddress, userAgent: `Agent/${actorUserId}` }, actorUserId }, async () => {
        await sleep(delayMs);
        await Promise.resolve();
        await recorder.record('profile.updated', { targetUserId: actorUserId });
      });

    // The first request records last, after the second has finished.
    await Promise.all([request('192.0.2.1', 1, 30), request('192.0.2.2', 2, 1)]);

    expect(
      events.map(({ targetUserId, actorUserId, ipAddress, userAgent }) => ({
        targetUserId,
        actorUserId,
        ipAddress,
        userAgent,
      })),
    ).toEqual([
      { targetUserId: 2, actorUserId: 2, ipAddress: '192.0.2.2', userAgent: 'Agent/2' },
      { targetUserId: 1, actorUserId: 1, ipAddress: '192.0.2.1', userAgent: 'Agent/1' },
    ]);
  });
});
