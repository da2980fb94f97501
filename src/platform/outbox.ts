import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database } from '../db/database.js';
import { outboxMessages } from '../db/schema.js';
import type { Clock } from './clock.js';
import type { EmailMessage, EmailTransport } from './mail-transport.js';
import type { Metrics } from './metrics.js';
import type { SmsMessage, SmsTransport } from './sms-transport.js';
import { createWakeUp } from './wake-up.js';

export type Channel = 'email' | 'sms';

/** A message to deliver: an email, or an SMS. */
export type OutgoingMessage = ({ channel: 'email' } & EmailMessage) | ({ channel: 'sms' } & SmsMessage);

export interface OutboxOptions {
  db: Database;
  transports: { email: EmailTransport; sms: SmsTransport };
  clock: Clock;
  logger: FastifyBaseLogger;
  pollIntervalMs: number;
  maxAttempts: number;
  metrics: Metrics;
}

const batchSize = 20;
const claimSeconds = 60;

/** 5 s, 10 s, 20 s ... capped at an hour: an SMTP outage is waited out, not hammered. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Messages are written to a table in the request and delivered by a worker,
 * so a slow or failing mail server neither slows requests nor loses mail.
 * Several instances drain one table safely: claims use FOR UPDATE SKIP LOCKED.
 */
export function createOutbox({ db, transports, clock, logger, pollIntervalMs, maxAttempts, metrics }: OutboxOptions) {
  let running: Promise<number> | undefined;
  let passAgain = false;
  let stopped = true;

  async function claimBatch() {
    const now = clock.now();
    const due = db
      .select({ id: outboxMessages.id })
      .from(outboxMessages)
      .where(
        and(
          isNull(outboxMessages.failedAt),
          lte(outboxMessages.nextAttemptAt, now),
          or(isNull(outboxMessages.lockedUntil), lte(outboxMessages.lockedUntil, now)),
        ),
      )
      .orderBy(asc(outboxMessages.id))
      .limit(batchSize)
      .for('update', { skipLocked: true });
    return db
      .update(outboxMessages)
      .set({
        lockedUntil: new Date(now.getTime() + claimSeconds * 1000),
        attempts: sql`${outboxMessages.attempts} + 1`,
      })
      .where(inArray(outboxMessages.id, due))
      .returning();
  }

  /**
   * Re-takes the claim just before sending: a batch can outlive its claim when
   * sends are slow, and a message another instance took over must not go out twice.
   */
  async function renewClaim(message: typeof outboxMessages.$inferSelect): Promise<boolean> {
    if (!message.lockedUntil) return false;
    const rows = await db
      .update(outboxMessages)
      .set({ lockedUntil: new Date(clock.now().getTime() + claimSeconds * 1000) })
      .where(and(eq(outboxMessages.id, message.id), eq(outboxMessages.lockedUntil, message.lockedUntil)))
      .returning({ id: outboxMessages.id });
    return rows.length === 1;
  }

  function send({ channel, recipient, subject, body, html }: typeof outboxMessages.$inferSelect): Promise<void> {
    if (channel === 'email')
      return transports.email.send({ to: recipient, subject, text: body, html: html ?? undefined });
    // An SMS has no subject: the column keeps its purpose.
    if (channel === 'sms') return transports.sms.send({ to: recipient, purpose: subject, text: body });
    return Promise.reject(new Error(`no transport for channel ${channel}`));
  }

  async function deliver(message: typeof outboxMessages.$inferSelect): Promise<void> {
    if (!(await renewClaim(message))) return;
    try {
      await send(message);
      // Delivered messages may hold codes or links: nothing is kept once they are out.
      await db.delete(outboxMessages).where(eq(outboxMessages.id, message.id));
      metrics.outboxDeliveries.inc({ channel: message.channel, result: 'sent' });
    } catch (error) {
      const giveUp = message.attempts >= maxAttempts;
      metrics.outboxDeliveries.inc({ channel: message.channel, result: giveUp ? 'failed' : 'retry' });
      const now = clock.now();
      logger.warn({ messageId: message.id, attempts: message.attempts, giveUp, err: error }, 'outbox delivery failed');
      await db
        .update(outboxMessages)
        .set({
          lockedUntil: null,
          lastError: String((error as Error)?.message ?? error).slice(0, 500),
          nextAttemptAt: new Date(now.getTime() + retryDelaySeconds(message.attempts) * 1000),
          failedAt: giveUp ? now : null,
        })
        .where(eq(outboxMessages.id, message.id));
    }
  }

  /** Delivers everything due now; returns how many messages were attempted. */
  async function drainOnce(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const batch = await claimBatch();
      if (batch.length === 0) return attempted;
      // RETURNING has no order; deliver oldest first.
      for (const message of batch.sort((left, right) => left.id - right.id)) await deliver(message);
      attempted += batch.length;
    }
  }

  function drain(): Promise<number> {
    // One drain at a time per instance; callers share the running one. A call that arrives
    // while it runs may bring a message its claims have already looked past: one more pass.
    if (running) {
      passAgain = true;
      return running;
    }
    running = (async () => {
      let attempted = 0;
      do {
        passAgain = false;
        attempted += await drainOnce();
      } while (passAgain);
      return attempted;
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const wakeUp = createWakeUp(async () => {
    try {
      await drain();
    } catch (error) {
      logger.error({ err: error }, 'outbox drain failed');
    }
    schedule(pollIntervalMs);
  });

  function schedule(delayMs: number) {
    if (!stopped) wakeUp.in(delayMs);
  }

  return {
    async enqueue(message: OutgoingMessage): Promise<void> {
      const now = clock.now();
      await db.insert(outboxMessages).values({
        channel: message.channel,
        recipient: message.to,
        subject: message.channel === 'email' ? message.subject : message.purpose,
        body: message.text,
        html: message.channel === 'email' ? (message.html ?? null) : null,
        nextAttemptAt: now,
        createdAt: now,
      });
      // Deliver promptly on this instance instead of waiting for the next poll.
      schedule(0);
    },
    drain,
    async backlog(): Promise<number> {
      const [row] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(outboxMessages)
        .where(isNull(outboxMessages.failedAt));
      return row?.count ?? 0;
    },
    start() {
      stopped = false;
      schedule(0);
    },
    /** Stops polling and waits for the message in flight. */
    async stop() {
      stopped = true;
      wakeUp.cancel();
      await running?.catch(() => {});
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
