import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/database.js';
import { createTestClock } from '../../test/helpers.js';
import type { DatabaseHandle } from '../db/database.js';
import { outboxMessages } from '../db/schema.js';
import { createLogger } from './logger.js';
import type { EmailMessage } from './mail-transport.js';
import { createMetrics } from './metrics.js';
import { createOutbox, type OutgoingMessage, retryDelaySeconds } from './outbox.js';

let database: DatabaseHandle;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ database, drop } = await openTestDatabase());
});
afterAll(() => drop());
beforeEach(async () => {
  await database.db.delete(outboxMessages);
});

/** What a transport received: an email's fields, or an SMS's. */
type Delivered = { to: string; text: string; subject?: string; purpose?: string };
/** One fake serves both channels: it takes what an email and an SMS have in common. */
type Transport = { send(message: Delivered): Promise<void> };

/** Fails the first `failures` sends (or those `failsFor` picks), then delivers. */
function flakyTransport({ failures = 0, failsFor }: { failures?: number; failsFor?: (to: string) => boolean } = {}) {
  const delivered: Delivered[] = [];
  let attempts = 0;
  const transport: Transport = {
    async send(message) {
      attempts += 1;
      if (attempts <= failures || failsFor?.(message.to)) throw new Error(`mail server unavailable (try ${attempts})`);
      // Yield, so concurrent drains really interleave with the database round trips.
      await new Promise((resolve) => setImmediate(resolve));
      delivered.push(message);
    },
  };
  return { transport, delivered, attempts: () => attempts };
}

function outboxWith(transport: Transport, clock = createTestClock(), maxAttempts = 8, smsTransport = transport) {
  const outbox = createOutbox({
    db: database.db,
    transports: { email: transport, sms: smsTransport },
    clock,
    logger: createLogger('silent'),
    pollIntervalMs: 60_000,
    maxAttempts,
    metrics: createMetrics(),
  });
  return { outbox, clock };
}

const email = (to = 'someone@example.com'): EmailMessage => ({
  to,
  subject: 'Your verification code: 123456',
  text: 'Your verification code is 123456',
});
const queuedEmail = (to?: string): OutgoingMessage => ({ channel: 'email', ...email(to) });

async function rows() {
  return database.db.select().from(outboxMessages).orderBy(outboxMessages.id);
}

describe('retryDelaySeconds', () => {
  it('doubles from 5 s and stops growing at an hour', () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([5, 10, 20, 40, 80]);
    expect(retryDelaySeconds(10)).toBe(2560);
    expect(retryDelaySeconds(11)).toBe(3600);
    expect(retryDelaySeconds(50)).toBe(3600);
  });
});

describe('createOutbox', () => {
  it('delivers a queued message once and keeps nothing afterwards', async () => {
    const mail = flakyTransport();
    const { outbox } = outboxWith(mail.transport);
    await outbox.enqueue(queuedEmail());
    expect(await outbox.drain()).toBe(1);
    expect(mail.delivered).toEqual([email()]);
    expect(await rows()).toEqual([]);
    expect(await outbox.drain()).toBe(0);
    expect(mail.delivered).toHaveLength(1);
  });

  it('retries a failing delivery with a growing delay and nothing before the next attempt is due', async () => {
    const mail = flakyTransport({ failures: 4 });
    const { outbox, clock } = outboxWith(mail.transport);
    await outbox.enqueue(queuedEmail());

    for (const [attempt, delay] of [
      [1, 5],
      [2, 10],
      [3, 20],
      [4, 40],
    ] as const) {
      const attemptedAt = clock.now().getTime();
      await outbox.drain();
      const [row] = await rows();
      expect(row).toMatchObject({ attempts: attempt, failedAt: null, lockedUntil: null });
      expect(row?.lastError).toContain('mail server unavailable');
      expect(row?.nextAttemptAt.getTime()).toBe(attemptedAt + delay * 1000);

      clock.advanceSeconds(delay - 1);
      expect(await outbox.drain()).toBe(0);
      expect(mail.attempts()).toBe(attempt);
      clock.advanceSeconds(1);
    }

    expect(await outbox.drain()).toBe(1);
    expect(mail.delivered).toEqual([email()]);
    expect(await rows()).toEqual([]);
  });

  it('hands an email to the mail transport and an SMS, with its purpose, to the SMS transport', async () => {
    const mail = flakyTransport();
    const phone = flakyTransport();
    const { outbox } = outboxWith(mail.transport, createTestClock(), 8, phone.transport);
    await outbox.enqueue(queuedEmail());
    await outbox.enqueue({
      channel: 'sms',
      to: '+15550100',
      purpose: 'two_factor',
      text: 'Your sign-in code is 123456',
    });
    expect(await outbox.drain()).toBe(2);
    expect(mail.delivered).toEqual([email()]);
    expect(phone.delivered).toEqual([{ to: '+15550100', purpose: 'two_factor', text: 'Your sign-in code is 123456' }]);
  });

  it('gives up after maxAttempts, marks the message failed and never tries it again', async () => {
    const mail = flakyTransport({ failures: Number.POSITIVE_INFINITY });
    const { outbox, clock } = outboxWith(mail.transport, createTestClock(), 3);
    await outbox.enqueue(queuedEmail());
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(await outbox.drain()).toBe(1);
      clock.advanceSeconds(3600);
    }
    const [row] = await rows();
    expect(row).toMatchObject({ attempts: 3, lastError: expect.stringContaining('unavailable') });
    expect(row?.failedAt).toBeInstanceOf(Date);

    clock.advanceSeconds(24 * 3600);
    expect(await outbox.drain()).toBe(0);
    expect(mail.attempts()).toBe(3);
    expect(await rows()).toHaveLength(1);
  });

  it('does not let one failing message hold back the others', async () => {
    const mail = flakyTransport({ failsFor: (to) => to === 'broken@example.com' });
    const { outbox } = outboxWith(mail.transport);
    await outbox.enqueue(queuedEmail('broken@example.com'));
    await outbox.enqueue(queuedEmail('first@example.com'));
    await outbox.enqueue({ channel: 'sms', to: '+15550100', purpose: 'login', text: 'Your sign-in code is 123456' });
    expect(await outbox.drain()).toBe(3);
    expect(mail.delivered.map((delivered) => delivered.to).sort()).toEqual(['+15550100', 'first@example.com']);
    expect((await rows()).map((row) => row.recipient)).toEqual(['broken@example.com']);
  });

  it('takes over a message whose claim lapsed, as when an instance dies mid-send', async () => {
    const mail = flakyTransport();
    const { outbox, clock } = outboxWith(mail.transport);
    await outbox.enqueue(queuedEmail());
    const [queued] = await rows();
    // Another instance claimed it a moment ago and then vanished.
    await database.db
      .update(outboxMessages)
      .set({ attempts: 1, lockedUntil: new Date(clock.now().getTime() + 60_000) })
      .where(eq(outboxMessages.id, queued?.id ?? 0));
    expect(await outbox.drain()).toBe(0);
    clock.advanceSeconds(61);
    expect(await outbox.drain()).toBe(1);
    expect(mail.delivered).toEqual([email()]);
    expect(await rows()).toEqual([]);
  });

  it('delivers each message exactly once when several instances drain one table at the same time', async () => {
    const clock = createTestClock();
    const instances = Array.from({ length: 3 }, () => {
      const mail = flakyTransport();
      return { mail, outbox: outboxWith(mail.transport, clock).outbox };
    });
    const recipients = Array.from({ length: 90 }, (_, index) => `user${index}@example.com`);
    const [first] = instances;
    for (const to of recipients) await first?.outbox.enqueue(queuedEmail(to));

    await Promise.all(instances.map(({ outbox }) => outbox.drain()));

    const delivered = instances.flatMap(({ mail }) => mail.delivered.map((sent) => sent.to));
    expect(delivered.sort()).toEqual([...recipients].sort());
    expect(await rows()).toEqual([]);
  });

  it('does not send twice what a slow instance claimed but has not finished', async () => {
    const clock = createTestClock();
    const sent: string[] = [];
    const other = flakyTransport();
    const { outbox: otherInstance } = outboxWith(other.transport, clock);
    let sends = 0;
    const { outbox: slowInstance } = outboxWith(
      {
        // A slow mail server: 5 s per message. Mid-batch, another instance polls.
        async send(queuedMessage) {
          sends += 1;
          clock.advanceSeconds(5);
          if (sends === 13) await otherInstance.drain();
          sent.push(queuedMessage.to);
        },
      },
      clock,
    );
    const recipients = Array.from({ length: 20 }, (_, index) => `slow${index}@example.com`);
    for (const to of recipients) await slowInstance.enqueue(queuedEmail(to));

    await slowInstance.drain();

    const all = [...sent, ...other.delivered.map((delivered) => delivered.to)];
    expect(all.sort()).toEqual([...recipients].sort());
    expect(await rows()).toEqual([]);
  });

  it('drain calls on one instance share the running drain', async () => {
    const mail = flakyTransport();
    const { outbox } = outboxWith(mail.transport);
    for (let index = 0; index < 5; index += 1) await outbox.enqueue(queuedEmail(`u${index}@example.com`));
    const [first, second] = await Promise.all([outbox.drain(), outbox.drain()]);
    expect(first).toBe(5);
    expect(second).toBe(5);
    expect(mail.delivered).toHaveLength(5);
  });

  it('stop() waits for the message in flight to be delivered and recorded', async () => {
    let release: () => void = () => {};
    let sending: () => void = () => {};
    const inFlight = new Promise<void>((resolve) => {
      sending = resolve;
    });
    const delivered: Delivered[] = [];
    const { outbox } = outboxWith({
      async send(sent) {
        sending();
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        delivered.push(sent);
      },
    });
    outbox.start();
    await outbox.enqueue(queuedEmail());
    await inFlight;

    let stopped = false;
    const stopping = outbox.stop().then(() => {
      stopped = true;
    });
    // Let every pending callback run: stop() must still be waiting for the send.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);

    release();
    await stopping;
    expect(delivered).toEqual([email()]);
    expect(await rows()).toEqual([]);
  });
});
