import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildTestApp,
  codeFrom,
  createVerifiedUser,
  expectError,
  get,
  post,
  type TestApp,
  uniqueEmail,
} from '../../../test/helpers.js';
import { users } from '../../db/schema.js';
import { createWebhookSmsTransport } from '../../platform/sms-transport.js';

const webhookSecret = 'webhook-secret-for-tests-0123456789';

/** A real HTTP receiver on loopback, as an operator's SMS gateway would be. */
interface Received {
  body: string;
  signature: string | undefined;
}
let receiver: Server;
const received: Received[] = [];
let test: TestApp;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({ body, signature: request.headers['x-gatehouse-signature'] as string | undefined });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/sms`;
  test = await buildTestApp({ smsTransport: createWebhookSmsTransport(url, webhookSecret) });
});
afterAll(async () => {
  await test.close();
  await new Promise((resolve) => receiver.close(resolve));
});

async function lastSmsTo(phoneNumber: string) {
  await test.platform.outbox.drain();
  const message = received
    .map((entry) => ({ ...entry, json: JSON.parse(entry.body) }))
    .findLast((entry) => entry.json.to === phoneNumber);
  return message;
}

let phoneCounter = 100;
const nextPhone = () => `+1415555${String(phoneCounter++).padStart(4, '0')}`;

async function userWithVerifiedPhone() {
  const user = await createVerifiedUser(test);
  const phoneNumber = nextPhone();
  await test.app.inject({
    method: 'PUT',
    url: '/users/me',
    headers: { authorization: `Bearer ${user.accessToken}` },
    payload: { phoneNumber },
  });
  await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }, user.accessToken);
  const sms = await lastSmsTo(phoneNumber);
  const verified = await post(
    test.app,
    '/auth/otp/verify',
    { channel: 'sms', purpose: 'verify_phone', code: codeFrom(sms?.json.body) },
    user.accessToken,
  );
  expect(verified.statusCode).toBe(200);
  return { ...user, phoneNumber };
}

describe('verify_phone', () => {
  it('sends the code to a real webhook with a valid HMAC signature and marks the phone verified', async () => {
    const user = await createVerifiedUser(test);
    const phoneNumber = nextPhone();
    expectError(
      await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }, user.accessToken),
      400,
      'PHONE_NUMBER_MISSING',
    );
    await test.app.inject({
      method: 'PUT',
      url: '/users/me',
      headers: { authorization: `Bearer ${user.accessToken}` },
      payload: { phoneNumber },
    });
    const sent = await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }, user.accessToken);
    expect(sent.statusCode).toBe(200);
    const sms = await lastSmsTo(phoneNumber);
    expect(sms?.json).toEqual({
      to: phoneNumber,
      body: expect.stringContaining(sent.json().otp),
      purpose: 'verify_phone',
    });
    const expected = createHmac('sha256', webhookSecret)
      .update(sms?.body ?? '')
      .digest('hex');
    expect(sms?.signature).toBe(`sha256=${expected}`);

    const verified = await post(
      test.app,
      '/auth/otp/verify',
      { channel: 'sms', purpose: 'verify_phone', code: codeFrom(sms?.json.body) },
      user.accessToken,
    );
    expect(verified.statusCode).toBe(200);
    expect(verified.json().user).toMatchObject({ phoneNumber, phoneVerified: true });
  });

  it('needs a bearer token and the sms channel', async () => {
    expectError(
      await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }),
      401,
      'UNAUTHORIZED',
    );
    const user = await createVerifiedUser(test);
    expectError(
      await post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'verify_phone' }, user.accessToken),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('refuses a number another account has already verified', async () => {
    const owner = await userWithVerifiedPhone();
    const other = await createVerifiedUser(test);
    await test.app.inject({
      method: 'PUT',
      url: '/users/me',
      headers: { authorization: `Bearer ${other.accessToken}` },
      payload: { phoneNumber: owner.phoneNumber },
    });
    test.clock.advanceSeconds(31);
    await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }, other.accessToken);
    const sms = await lastSmsTo(owner.phoneNumber);
    const response = await post(
      test.app,
      '/auth/otp/verify',
      { channel: 'sms', purpose: 'verify_phone', code: codeFrom(sms?.json.body) },
      other.accessToken,
    );
    expectError(response, 409, 'PHONE_TAKEN');
  });
});

describe('login by one-time code', () => {
  it('signs in by email code with the seed body', async () => {
    const user = await createVerifiedUser(test);
    test.clock.advanceSeconds(31);
    const sent = await post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'login', email: user.email });
    expect(sent.statusCode).toBe(200);
    const code = codeFrom((await test.lastMailTo(user.email))?.subject);
    const response = await post(test.app, '/auth/otp/verify', {
      channel: 'email',
      purpose: 'login',
      email: user.email,
      code,
      deviceInfo: { deviceName: 'Kiosk' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      user: { id: user.userId },
      accessToken: expect.any(String),
      sessionId: expect.any(String),
    });
    expect((await get(test.app, '/auth/profile', response.json().accessToken)).statusCode).toBe(200);
  });

  it('signs in by SMS code to a verified phone', async () => {
    const user = await userWithVerifiedPhone();
    test.clock.advanceSeconds(31);
    await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'login', phoneNumber: user.phoneNumber });
    const sms = await lastSmsTo(user.phoneNumber);
    expect(sms?.json.purpose).toBe('login');
    const response = await post(test.app, '/auth/otp/verify', {
      channel: 'sms',
      purpose: 'login',
      phoneNumber: user.phoneNumber,
      code: codeFrom(sms?.json.body),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().user.id).toBe(user.userId);
  });

  it('answers unknown destinations like known ones and sends nothing', async () => {
    const unknown = uniqueEmail('ghost');
    const { email } = await createVerifiedUser(test);
    test.clock.advanceSeconds(31);
    const answers = await Promise.all(
      [unknown, email].map((address) =>
        post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'login', email: address }),
      ),
    );
    expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200]);
    expect(answers[0]?.json().message).toBe(answers[1]?.json().message);
    await test.platform.outbox.drain();
    expect(test.mailbox.to(unknown)).toHaveLength(0);
    expectError(
      await post(test.app, '/auth/otp/verify', { channel: 'email', purpose: 'login', email: unknown, code: '123456' }),
      400,
      'OTP_INVALID',
    );
  });

  it('keeps codes bound to their purpose: a verify_phone code cannot sign in', async () => {
    const user = await createVerifiedUser(test);
    const phoneNumber = nextPhone();
    await test.app.inject({
      method: 'PUT',
      url: '/users/me',
      headers: { authorization: `Bearer ${user.accessToken}` },
      payload: { phoneNumber },
    });
    await post(test.app, '/auth/otp/send', { channel: 'sms', purpose: 'verify_phone' }, user.accessToken);
    const code = codeFrom((await lastSmsTo(phoneNumber))?.json.body);
    // Even with the number marked verified, the verify_phone code is not a login code.
    await test.db.update(users).set({ phoneVerifiedAt: new Date() }).where(eq(users.id, user.userId));
    expectError(
      await post(test.app, '/auth/otp/verify', { channel: 'sms', purpose: 'login', phoneNumber, code }),
      400,
      'OTP_INVALID',
    );
  });

  it('limits sends per destination with 429 and Retry-After', async () => {
    const email = uniqueEmail('limited');
    expect((await post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'login', email })).statusCode).toBe(
      200,
    );
    const again = await post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'login', email });
    expectError(again, 429, 'TOO_MANY_REQUESTS');
    expect(Number(again.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('counts the cooldown per destination and purpose: a sign-in code right after verifying the email is sent', async () => {
    // createVerifiedUser has just sent (and used) a verify_email code to this address.
    const { email } = await createVerifiedUser(test);
    const sent = await post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'login', email });
    expect(sent.statusCode).toBe(200);
    const mail = await test.lastMailTo(email);
    expect(mail?.subject).toMatch(/^Your sign-in code: \d{6}$/);
    // The sign-in code has its own words, not the sign-up email's.
    expect(mail?.text).not.toContain('create an account');
    expectError(
      await post(test.app, '/auth/otp/send', { channel: 'email', purpose: 'login', email }),
      429,
      'TOO_MANY_REQUESTS',
    );
  });

  it('counts the cooldown per purpose on a phone too: SMS two-factor right after verifying the phone', async () => {
    const user = await userWithVerifiedPhone();
    const enabled = await post(
      test.app,
      '/auth/2fa/enable',
      { method: 'sms', password: 'correct horse battery staple' },
      user.accessToken,
    );
    expect(enabled.statusCode).toBe(200);
    const sms = await lastSmsTo(user.phoneNumber);
    expect(sms?.json).toMatchObject({ purpose: 'two_factor' });
  });

  it('verify_email through the generic endpoint behaves like /auth/verify-email', async () => {
    const email = uniqueEmail();
    await post(test.app, '/auth/register', { email, password: 'correct horse battery staple' });
    const code = codeFrom((await test.lastMailTo(email))?.text);
    const response = await post(test.app, '/auth/otp/verify', {
      channel: 'email',
      purpose: 'verify_email',
      email,
      code,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().user).toMatchObject({ email, emailVerified: true });
  });
});
