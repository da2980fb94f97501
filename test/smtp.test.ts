import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outboxMessages } from '../src/db/schema.js';
import { createSmtpTransport, type EmailTransport } from '../src/platform/mail-transport.js';
import { buildTestApp, post, strongPassword, type TestApp, uniqueEmail } from './helpers.js';
import { type ReceivedMail, startSmtpServer } from './smtp-server.js';

function codeIn(mail: ReceivedMail | undefined): string {
  const match = /verification code is (\d{6})/.exec(mail?.raw ?? '');
  if (!match?.[1]) throw new Error(`no verification code in: ${mail?.raw}`);
  return match[1];
}

const received: ReceivedMail[] = [];
let smtp: { port: number; stop: () => Promise<void> };
let transport: EmailTransport;
let test: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer(received);
  const env = {
    MAIL_TRANSPORT: 'smtp',
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: 'Gatehouse <no-reply@example.com>',
  };
  // buildTestApp always substitutes its in-memory mailbox for the email transport,
  // so the SMTP transport the server would build from this env is passed explicitly.
  transport = createSmtpTransport(env.SMTP_URL, env.MAIL_FROM);
  test = await buildTestApp({ env, emailTransport: transport });
});
afterAll(async () => {
  await test.close();
  transport.close?.();
  await smtp.stop();
});

async function register(email: string) {
  const response = await post(test.app, '/auth/register', { email, password: strongPassword });
  expect(response.statusCode).toBe(201);
}

async function queued(email: string) {
  return test.db.select().from(outboxMessages).where(eq(outboxMessages.recipient, email));
}

describe('email over SMTP', () => {
  it('delivers the verification code to a real SMTP server, and the code verifies the account', async () => {
    const email = uniqueEmail('smtp');
    await register(email);
    await test.platform.outbox.drain();

    const mail = received.find((message) => message.to.includes(email));
    expect(mail?.raw).toMatch(/^From: Gatehouse <no-reply@example\.com>\r?$/m);
    expect(mail?.raw).toMatch(new RegExp(`^To: ${email.replace(/\./g, '\\.')}\\r?$`, 'm'));
    expect(mail?.raw).toMatch(/^Subject: Your verification code: \d{6}\r?$/m);
    const verified = await post(test.app, '/auth/verify-email', { email, otp: codeIn(mail) });
    expect(verified.statusCode).toBe(200);
    expect(verified.json().user).toMatchObject({ email, emailVerified: true });
    expect(await queued(email)).toEqual([]);
  });

  it('keeps the message through an outage and delivers it once the server is back', async () => {
    const { port } = smtp;
    await smtp.stop();
    const email = uniqueEmail('outage');
    // Requests do not wait for the mail server.
    await register(email);
    await test.platform.outbox.drain();

    const [row] = await queued(email);
    expect(row).toMatchObject({ attempts: 1, failedAt: null, lastError: expect.stringContaining('ECONNREFUSED') });
    expect(row?.nextAttemptAt.getTime()).toBeGreaterThan(test.clock.now().getTime());
    expect(received.some((message) => message.to.includes(email))).toBe(false);

    smtp = await startSmtpServer(received, port);
    // Not retried before the delay is over, even though the server is back.
    await test.platform.outbox.drain();
    expect(received.some((message) => message.to.includes(email))).toBe(false);

    test.clock.advanceSeconds(5);
    await test.platform.outbox.drain();
    const mail = received.find((message) => message.to.includes(email));
    expect(await queued(email)).toEqual([]);
    expect((await post(test.app, '/auth/verify-email', { email, otp: codeIn(mail) })).statusCode).toBe(200);
  });
});
