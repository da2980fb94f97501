import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { composePlatform, type Platform } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/platform/logger.js';
import { composeServices } from '../src/services.js';
import { openTestDatabase } from './database.js';
import {
  buildTestApp,
  codeFrom,
  createMailbox,
  createVerifiedUser,
  expectError,
  get,
  post,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from './helpers.js';

const metricsToken = 'scrape-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition, one sample per non-comment line. */
function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match?.[1] || !match[3]) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (key) labels[key] = value ?? '';
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name whose labels include `labels`; undefined when there is none. */
function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

function scrape(app: FastifyInstance, authorization?: string) {
  return app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
}

async function scrapeSamples(app: FastifyInstance): Promise<Sample[]> {
  const response = await scrape(app, `Bearer ${metricsToken}`);
  expect(response.statusCode).toBe(200);
  return parseMetrics(response.body);
}

describe('GET /metrics behind METRICS_TOKEN', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await buildTestApp({ env: { METRICS_TOKEN: metricsToken, LOCKOUT_THRESHOLD: '2' } });
  });
  afterAll(() => test.close());

  it('refuses a scrape without the token or with a wrong one', async () => {
    expectError(await scrape(test.app), 401, 'UNAUTHORIZED');
    expectError(await scrape(test.app, `Bearer ${'x'.repeat(metricsToken.length)}`), 401, 'UNAUTHORIZED');
    expectError(await scrape(test.app, `Bearer ${metricsToken}-and-more`), 401, 'UNAUTHORIZED');
    expectError(await scrape(test.app, metricsToken), 401, 'UNAUTHORIZED');
    // A user's access token is not a scrape token.
    const { accessToken } = await createVerifiedUser(test);
    expectError(await scrape(test.app, `Bearer ${accessToken}`), 401, 'UNAUTHORIZED');
  });

  it('serves Prometheus text with the token', async () => {
    const response = await scrape(test.app, `Bearer ${metricsToken}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain('# TYPE gatehouse_http_requests_total counter');
    expect(response.body).toContain('# TYPE gatehouse_http_request_duration_seconds histogram');
  });

  it('counts requests and durations by route pattern and status, and sign-ins by result and reason', async () => {
    const { email } = await createVerifiedUser(test);
    const before = await scrapeSamples(test.app);
    expectError(
      await post(test.app, '/auth/login', { email, password: 'not the right password' }),
      401,
      'INVALID_CREDENTIALS',
    );
    expect((await post(test.app, '/auth/login', { email, password: strongPassword })).statusCode).toBe(200);
    expect(
      (await post(test.app, '/auth/register', { email: uniqueEmail(), password: strongPassword })).statusCode,
    ).toBe(201);
    const after = await scrapeSamples(test.app);
    const growth = (name: string, labels: Record<string, string>) =>
      (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);

    const requests = 'gatehouse_http_requests_total';
    expect(growth(requests, { method: 'POST', route: '/auth/login', status: '401' })).toBe(1);
    expect(growth(requests, { method: 'POST', route: '/auth/login', status: '200' })).toBe(1);
    expect(growth(requests, { method: 'POST', route: '/auth/register', status: '201' })).toBe(1);
    const login = { method: 'POST', route: '/auth/login' };
    expect(growth('gatehouse_http_request_duration_seconds_count', login)).toBe(2);
    expect(growth('gatehouse_http_request_duration_seconds_bucket', { ...login, le: '+Inf' })).toBe(2);
    expect(growth('gatehouse_http_request_duration_seconds_sum', login)).toBeGreaterThan(0);

    const signIns = 'gatehouse_sign_ins_total';
    expect(growth(signIns, { method: 'password', result: 'failure', reason: 'INVALID_CREDENTIALS' })).toBe(1);
    expect(growth(signIns, { method: 'password', result: 'success' })).toBe(1);
  });

  it('labels a route with a parameter by its pattern, never by the concrete id or path', async () => {
    const { userId, accessToken } = await createVerifiedUser(test);
    expect((await get(test.app, `/users/${userId}`, accessToken)).statusCode).toBe(200);
    expect((await get(test.app, `/users/${userId}`, accessToken)).statusCode).toBe(200);
    const probe = `/no-such-page-${Date.now()}`;
    expectError(await get(test.app, probe), 404, 'NOT_FOUND');

    const scraped = await scrape(test.app, `Bearer ${metricsToken}`);
    const samples = parseMetrics(scraped.body);
    // Only this test reads /users/:id.
    expect(
      sampleValue(samples, 'gatehouse_http_requests_total', { method: 'GET', route: '/users/:id', status: '200' }),
    ).toBe(2);
    expect(sampleValue(samples, 'gatehouse_http_request_duration_seconds_count', { route: '/users/:id' })).toBe(2);
    expect(sampleValue(samples, 'gatehouse_http_requests_total', { method: 'GET', status: '404' })).toBeGreaterThan(0);
    const routes = new Set(samples.map((sample) => sample.labels.route).filter(Boolean));
    expect(routes).not.toContain(`/users/${userId}`);
    expect(routes).not.toContain(probe);
    expect(scraped.body).not.toContain(`/users/${userId}"`);
    expect(scraped.body).not.toContain(probe);
  });

  it('counts one-time codes sent, lockouts, the outbox backlog and deliveries, and the database pool', async () => {
    const before = await scrapeSamples(test.app);
    const mailsBefore = test.mailbox.messages.length;
    const codesSent = { channel: 'email', purpose: 'verify_email' };
    const emailSent = { channel: 'email', result: 'sent' };
    const codesBefore = sampleValue(before, 'gatehouse_one_time_codes_sent_total', codesSent) ?? 0;
    const deliveredBefore = sampleValue(before, 'gatehouse_outbox_deliveries_total', emailSent) ?? 0;
    await test.platform.outbox.drain();
    expect(sampleValue(await scrapeSamples(test.app), 'gatehouse_outbox_backlog')).toBe(0);

    // Queued, not delivered: the test app's outbox worker is not running.
    const email = uniqueEmail('metrics');
    expect((await post(test.app, '/auth/register', { email, password: strongPassword })).statusCode).toBe(201);
    const queued = await scrapeSamples(test.app);
    expect(sampleValue(queued, 'gatehouse_one_time_codes_sent_total', codesSent)).toBe(codesBefore + 1);
    expect(sampleValue(queued, 'gatehouse_outbox_backlog')).toBe(1);

    await test.platform.outbox.drain();
    expect(test.mailbox.last(email)?.subject).toMatch(/verification code/i);
    const drained = await scrapeSamples(test.app);
    expect(sampleValue(drained, 'gatehouse_outbox_backlog')).toBe(0);
    expect(sampleValue(drained, 'gatehouse_outbox_deliveries_total', emailSent)).toBe(
      deliveredBefore + test.mailbox.messages.length - mailsBefore,
    );

    // LOCKOUT_THRESHOLD is 2 in this suite.
    const lockoutsBefore = sampleValue(drained, 'gatehouse_lockouts_total') ?? 0;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expectError(
        await post(test.app, '/auth/login', { email, password: 'wrong guess number one' }),
        401,
        'INVALID_CREDENTIALS',
      );
    }
    expectError(await post(test.app, '/auth/login', { email, password: strongPassword }), 423, 'ACCOUNT_LOCKED');
    const locked = await scrapeSamples(test.app);
    expect(sampleValue(locked, 'gatehouse_lockouts_total')).toBe(lockoutsBefore + 1);

    const total = sampleValue(locked, 'gatehouse_db_pool_connections', { state: 'total' });
    const idle = sampleValue(locked, 'gatehouse_db_pool_connections', { state: 'idle' });
    const waiting = sampleValue(locked, 'gatehouse_db_pool_connections', { state: 'waiting' });
    expect(total).toBeGreaterThanOrEqual(1);
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle).toBeLessThanOrEqual(total ?? 0);
    expect(waiting).toBe(0);
  });
});

describe('GET /metrics when not configured', () => {
  it('does not exist without METRICS_TOKEN and METRICS_PORT', async () => {
    const test = await buildTestApp();
    try {
      expectError(await scrape(test.app), 404, 'NOT_FOUND');
      expectError(await scrape(test.app, `Bearer ${metricsToken}`), 404, 'NOT_FOUND');
    } finally {
      await test.close();
    }
  });

  it('is not on the main port when METRICS_PORT is set, even with a token', async () => {
    const test = await buildTestApp({ env: { METRICS_TOKEN: metricsToken, METRICS_PORT: '9464' } });
    try {
      expectError(await scrape(test.app, `Bearer ${metricsToken}`), 404, 'NOT_FOUND');
    } finally {
      await test.close();
    }
  });
});

/** A pino destination that keeps every line. */
function memoryDestination() {
  const chunks: string[] = [];
  return {
    write(chunk: string) {
      chunks.push(chunk);
    },
    text: () => chunks.join(''),
    records: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('request logs', () => {
  const destination = memoryDestination();
  const mailbox = createMailbox();
  let app: FastifyInstance;
  let platform: Platform;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      RATE_LIMIT_PER_IP: '1000000',
      RATE_LIMIT_PER_IDENTIFIER: '1000000',
    });
    const opened = await openTestDatabase();
    drop = opened.drop;
    platform = await composePlatform(
      config,
      opened.database,
      'log-test-app-secret-0123456789abcdefghijk',
      createLogger('info', destination),
      {
        argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
        emailTransport: mailbox.transport,
        smsTransport: mailbox.smsTransport,
      },
    );
    app = await buildApp(platform, await composeServices(platform));
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
  });

  it('writes one line per request with its id, and never a password, token, code or Authorization header', async () => {
    const email = uniqueEmail('logs');
    const password = 'an unusual passphrase for the log test';
    const responses: LightMyRequestResponse[] = [];
    const send = async (response: Promise<LightMyRequestResponse>) => {
      const answered = await response;
      responses.push(answered);
      return answered;
    };

    const registered = await send(post(app, '/auth/register', { email, password, firstName: 'Log' }));
    expect(registered.statusCode).toBe(201);
    await platform.outbox.drain();
    const code = codeFrom(mailbox.last(email)?.text);
    const verified = await send(post(app, '/auth/verify-email', { email, otp: code }));
    expect(verified.statusCode).toBe(200);
    const signedIn = await send(post(app, '/auth/login', { email, password }));
    expect(signedIn.statusCode).toBe(200);
    const refreshed = await send(post(app, '/auth/refresh', { refreshToken: signedIn.json().refreshToken }));
    expect(refreshed.statusCode).toBe(200);
    const profile = await send(get(app, '/auth/profile', refreshed.json().accessToken));
    expect(profile.statusCode).toBe(200);
    const refused = await send(post(app, '/auth/login', { email, password: `${password} but wrong` }));
    expectError(refused, 401, 'INVALID_CREDENTIALS');
    const invalid = await send(post(app, '/auth/login', { email: 'not-an-email', password }));
    expectError(invalid, 400, 'VALIDATION_FAILED');

    const requestLines = destination.records().filter((record) => record.msg === 'request');
    expect(requestLines).toHaveLength(responses.length);
    for (const response of responses) {
      const requestId = response.headers['x-request-id'];
      expect(requestId).toEqual(expect.any(String));
      const lines = requestLines.filter((line) => line.reqId === requestId);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        method: response.raw.req.method,
        route: new URL(response.raw.req.url ?? '/', 'http://localhost').pathname,
        statusCode: response.statusCode,
        responseTimeMs: expect.any(Number),
      });
      if (response.statusCode >= 400) expect(response.json().requestId).toBe(requestId);
    }
    expect(new Set(responses.map((response) => response.headers['x-request-id'])).size).toBe(responses.length);

    const secrets = {
      password,
      code,
      verifiedAccessToken: verified.json().accessToken,
      verifiedRefreshToken: verified.json().refreshToken,
      accessToken: signedIn.json().accessToken,
      refreshToken: signedIn.json().refreshToken,
      refreshedAccessToken: refreshed.json().accessToken,
      refreshedRefreshToken: refreshed.json().refreshToken,
    };
    const logged = destination.text();
    for (const [name, secret] of Object.entries(secrets)) {
      expect(typeof secret === 'string' && secret.length >= 6, name).toBe(true);
      expect(logged.includes(secret), `${name} appears in the log`).toBe(false);
    }
    expect(logged).not.toContain('Bearer ');
  });
});
