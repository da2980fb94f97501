import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { buildApp } from '../src/app.js';
import { composePlatform, type Platform } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import type { DatabaseHandle } from '../src/db/database.js';
import { createRoleRepository } from '../src/modules/roles/repository.js';
import type { Clock } from '../src/platform/clock.js';
import { createLogger } from '../src/platform/logger.js';
import type { EmailTransport } from '../src/platform/mail-transport.js';
import type { SmsTransport } from '../src/platform/sms-transport.js';
import { composeServices } from '../src/services.js';
import { openTestDatabase } from './database.js';

/** A clock the test moves by hand. */
export function createTestClock(start = new Date('2026-01-15T10:00:00Z')) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advanceSeconds(seconds: number) {
      now += seconds * 1000;
    },
  } satisfies Clock & Record<string, unknown>;
}

/** A delivered email (with its subject) or SMS (with its purpose), as the recipient got it. */
export interface DeliveredMessage {
  channel: 'email' | 'sms';
  to: string;
  text: string;
  subject?: string;
  purpose?: string;
}

/** Collects what the outbox delivers, so tests read the email or SMS a user would get. */
export function createMailbox() {
  const messages: DeliveredMessage[] = [];
  const transport: EmailTransport = {
    async send(message) {
      messages.push({ channel: 'email', ...message });
    },
  };
  const smsTransport: SmsTransport = {
    async send(message) {
      messages.push({ channel: 'sms', ...message });
    },
  };
  return {
    transport,
    smsTransport,
    messages,
    to: (address: string) => messages.filter((message) => message.to === address),
    last: (address: string) => messages.filter((message) => message.to === address).at(-1),
  };
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Use the system clock instead of the controllable one. */
  realClock?: boolean;
  emailTransport?: EmailTransport;
  /** Default: SMS land in the same mailbox as emails. */
  smsTransport?: SmsTransport;
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/**
 * One running instance on `database`: the real app with cheap argon2, mail and
 * SMS captured in `mailbox` unless transports are given.
 */
async function startInstance(
  database: DatabaseHandle,
  env: Record<string, string>,
  clock: Clock | undefined,
  transports: { emailTransport?: EmailTransport; smsTransport?: SmsTransport } = {},
) {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    // Most suites send many requests from one address; the rate-limit suite sets its own.
    RATE_LIMIT_PER_IP: '1000000',
    RATE_LIMIT_PER_IDENTIFIER: '1000000',
    ...env,
  });
  const mailbox = createMailbox();
  const platform: Platform = await composePlatform(
    config,
    database,
    'test-app-secret-that-is-long-enough-0123456789',
    createLogger('silent'),
    {
      ...(clock ? { clock } : {}),
      argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      emailTransport: transports.emailTransport ?? mailbox.transport,
      smsTransport: transports.smsTransport ?? mailbox.smsTransport,
    },
  );
  const services = await composeServices(platform);
  const app: FastifyInstance = await buildApp(platform, services);
  await app.ready();
  return { app, platform, services, mailbox };
}

/** The real application on a real database, with cheap argon2 and captured mail. */
export async function buildTestApp(options: TestAppOptions = {}) {
  const { database, drop } = await openTestDatabase();
  const clock = createTestClock();
  const { app, platform, services, mailbox } = await startInstance(
    database,
    options.env ?? {},
    options.realClock ? undefined : clock,
    options,
  );
  return {
    app,
    platform,
    services,
    clock,
    mailbox,
    db: database.db,
    /** Delivers queued mail, then returns the newest message to `address`. */
    async lastMailTo(address: string) {
      await platform.outbox.drain();
      return mailbox.last(address);
    },
    async close() {
      await app.close();
      await drop();
    },
  };
}

/**
 * Another instance on `test`'s database, as two replicas behind a load
 * balancer: its own app, caches, listener and outbox, sharing only the
 * database (and `test`'s clock). `test` drops the database.
 */
export async function buildOtherInstance(test: TestApp, env: Record<string, string> = {}) {
  const { app } = await startInstance(test.platform.database, env, test.platform.clock);
  return { app, close: () => app.close() };
}

export const strongPassword = 'correct horse battery staple';

export function post(app: FastifyInstance, url: string, payload?: unknown, accessToken?: string) {
  return app.inject({
    method: 'POST',
    url,
    payload: payload as Record<string, unknown>,
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
}

export function get(app: FastifyInstance, url: string, accessToken?: string) {
  return app.inject({ method: 'GET', url, headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {} });
}

export function del(app: FastifyInstance, url: string, accessToken?: string, payload?: unknown) {
  return app.inject({
    method: 'DELETE',
    url,
    payload: payload as Record<string, unknown>,
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
}

/** Asserts the seed's error body with our stable code. */
export function expectError(response: LightMyRequestResponse, statusCode: number, code: string) {
  const body = response.json();
  expect({ status: response.statusCode, code: body.code }).toEqual({ status: statusCode, code });
  expect(body).toMatchObject({ statusCode, error: expect.any(String), message: expect.any(String) });
}

export function codeFrom(text: string | undefined): string {
  const match = /\b(\d{6})\b/.exec(text ?? '');
  if (!match?.[1]) throw new Error(`no 6-digit code in: ${text}`);
  return match[1];
}

let counter = 0;
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${counter}.${Date.now()}@example.com`;
}

/** Registers, reads the code from the email, verifies: a signed-in user. */
export async function createVerifiedUser(
  test: TestApp,
  email = uniqueEmail(),
  deviceInfo: Record<string, string> = { deviceName: 'Test Device', platform: 'Test' },
) {
  const registered = await post(test.app, '/auth/register', { email, password: strongPassword });
  expect(registered.statusCode).toBe(201);
  const code = codeFrom((await test.lastMailTo(email))?.text);
  const verified = await post(test.app, '/auth/verify-email', { email, otp: code, deviceInfo });
  expect(verified.statusCode).toBe(200);
  const body = verified.json();
  return {
    email,
    userId: body.user.id as number,
    accessToken: body.accessToken as string,
    refreshToken: body.refreshToken as string,
    sessionId: body.sessionId as string,
  };
}

export async function signIn(test: TestApp, email: string, deviceInfo?: Record<string, string>) {
  const response = await post(test.app, '/auth/login', { email, password: strongPassword, deviceInfo });
  expect(response.statusCode).toBe(200);
  const body = response.json();
  return {
    accessToken: body.accessToken as string,
    refreshToken: body.refreshToken as string,
    sessionId: body.sessionId as string,
  };
}

/** A signed-in ADMIN; authorization reads live roles, so the token from sign-up carries it. */
export async function createAdmin(test: TestApp) {
  const admin = await createVerifiedUser(test);
  await createRoleRepository(test.db).insertUserRole(admin.userId, 'ADMIN', new Date());
  return admin;
}

/** Can this access token still make an authenticated request? */
export async function accessStatus(test: TestApp, accessToken: string): Promise<number> {
  return (await get(test.app, '/auth/sessions', accessToken)).statusCode;
}

/** What `createSuperAdmin` needs, from the test instance's composition root. */
export function superAdminDeps(test: TestApp) {
  const { hasher, passwordPolicy } = test.platform;
  return { ...test.services.repositories, audit: test.services.audit, hasher, passwordPolicy, clock: test.clock };
}
