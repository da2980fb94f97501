import { eq } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { users } from '../src/db/schema.js';
import {
  buildTestApp,
  createVerifiedUser,
  expectError,
  get,
  post,
  strongPassword,
  type TestApp,
  uniqueEmail,
} from './helpers.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

// Whatever a case sent, the process is still up and answering.
afterEach(async () => {
  expect((await get(test.app, '/health')).statusCode).toBe(200);
});

const bodyLimitBytes = 32 * 1024;

/** A raw body, exactly as a client put it on the wire. */
function send(
  method: 'POST' | 'PUT' | 'GET' | 'DELETE',
  url: string,
  payload: string,
  contentType = 'application/json',
  accessToken?: string,
) {
  return test.app.inject({
    method,
    url,
    payload,
    headers: { 'content-type': contentType, ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
  });
}

/** The seed's error body, nothing more (no stack, no parser detail), tied to the response's request id. */
function expectClientError(response: LightMyRequestResponse, statusCode: number, code: string) {
  expectError(response, statusCode, code);
  const body = response.json();
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'requestId', 'statusCode']);
  expect(body.requestId).toBe(response.headers['x-request-id']);
}

function nestedObject(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

function nestedArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

describe('malformed and empty bodies', () => {
  it.each([
    ['a truncated object', '{"email": "a@example.com", "password": '],
    ['single quotes', "{'email': 'a@example.com'}"],
    ['a trailing comma', '{"email": "a@example.com",}'],
    ['plain words', 'hello'],
    ['a stray byte sequence', '\u0000\u0001\u0002'],
  ])('answers 400 INVALID_JSON for %s', async (_name, payload) => {
    expectClientError(await send('POST', '/auth/register', payload), 400, 'INVALID_JSON');
  });

  it('answers 400 INVALID_JSON for an empty body sent as application/json', async () => {
    expectClientError(await send('POST', '/auth/register', ''), 400, 'INVALID_JSON');
    expectClientError(await send('POST', '/auth/login', ''), 400, 'INVALID_JSON');
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"a@example.com"'],
    ['a number', '42'],
  ])('answers 400 VALIDATION_FAILED when the body is %s instead of an object', async (_name, payload) => {
    expectClientError(await send('POST', '/auth/register', payload), 400, 'VALIDATION_FAILED');
  });
});

describe('wrong types, missing and unknown fields', () => {
  it.each([
    ['a number password', { email: uniqueEmail(), password: 12345678 }],
    ['a boolean password', { email: uniqueEmail(), password: true }],
    ['an array email', { email: [uniqueEmail()], password: strongPassword }],
    ['an object email', { email: { $ne: null }, password: strongPassword }],
    ['a number first name', { email: uniqueEmail(), password: strongPassword, firstName: 7 }],
    ['an unknown account type', { email: uniqueEmail(), password: strongPassword, accountType: 'ADMIN' }],
  ])('register refuses %s with 400 VALIDATION_FAILED and creates no account', async (_name, body) => {
    expectClientError(await post(test.app, '/auth/register', body), 400, 'VALIDATION_FAILED');
    if (typeof body.email === 'string') {
      expect(await test.db.select().from(users).where(eq(users.email, body.email))).toHaveLength(0);
    }
  });

  it.each([
    ['deviceInfo as a string', 'iPhone'],
    ['deviceInfo as an array', [{ deviceName: 'iPhone' }]],
    ['an object deviceName', { deviceName: { model: 'iPhone' } }],
    ['a number platform', { platform: 17 }],
    ['an array appVersion', { appVersion: ['1.0.0'] }],
    ['a deviceId with spaces', { deviceId: 'my device' }],
  ])('login refuses %s with 400 VALIDATION_FAILED', async (_name, deviceInfo) => {
    const { email } = await createVerifiedUser(test);
    const response = await post(test.app, '/auth/login', { email, password: strongPassword, deviceInfo });
    expectClientError(response, 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['/auth/register', {}],
    ['/auth/register', { email: uniqueEmail() }],
    ['/auth/register', { password: strongPassword }],
    ['/auth/login', { email: uniqueEmail() }],
    ['/auth/login', { password: strongPassword }],
    ['/auth/verify-email', { email: uniqueEmail() }],
    ['/auth/resend-otp', {}],
    ['/auth/refresh', {}],
  ])('%s refuses a body missing required fields (%j) with 400 VALIDATION_FAILED', async (url, body) => {
    expectClientError(await post(test.app, url, body), 400, 'VALIDATION_FAILED');
  });

  it('refuses unknown fields with 400 VALIDATION_FAILED, at the top level and inside deviceInfo', async () => {
    const { email } = await createVerifiedUser(test);
    const newEmail = uniqueEmail();
    expectClientError(
      await post(test.app, '/auth/register', { email: newEmail, password: strongPassword, isAdmin: true }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await test.db.select().from(users).where(eq(users.email, newEmail))).toHaveLength(0);
    expectClientError(
      await post(test.app, '/auth/login', { email, password: strongPassword, rememberMe: true }),
      400,
      'VALIDATION_FAILED',
    );
    expectClientError(
      await post(test.app, '/auth/login', { email, password: strongPassword, deviceInfo: { jailbroken: false } }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('sizes', () => {
  it('refuses a 1 MB body with 413 PAYLOAD_TOO_LARGE', async () => {
    const payload = JSON.stringify({ email: uniqueEmail(), password: strongPassword, firstName: 'x'.repeat(1 << 20) });
    expectClientError(await send('POST', '/auth/register', payload), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a body just over the 32 KB limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const payload = JSON.stringify({ email: uniqueEmail(), password: strongPassword, firstName: 'x'.repeat(33_000) });
    expect(Buffer.byteLength(payload)).toBeGreaterThan(bodyLimitBytes);
    expectClientError(await send('POST', '/auth/register', payload), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a 200-character password on register and on login with 400, and accepts 128', async () => {
    const longPassword = 'Tr0ub4dor&3-horse-'.repeat(12).slice(0, 200);
    const registerEmail = uniqueEmail();
    expectClientError(
      await post(test.app, '/auth/register', { email: registerEmail, password: longPassword }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await test.db.select().from(users).where(eq(users.email, registerEmail))).toHaveLength(0);

    const { email } = await createVerifiedUser(test);
    expectClientError(await post(test.app, '/auth/login', { email, password: longPassword }), 400, 'VALIDATION_FAILED');

    // The limit is 128, not lower.
    const atLimit = await post(test.app, '/auth/register', {
      email: uniqueEmail(),
      password: longPassword.slice(0, 128),
    });
    expect(atLimit.statusCode).toBe(201);
  });
});

describe('deeply nested JSON under the body limit', () => {
  it('refuses 5,000 levels of objects inside deviceInfo.deviceName with 400 VALIDATION_FAILED', async () => {
    const { email } = await createVerifiedUser(test);
    const payload = `{"email":${JSON.stringify(email)},"password":${JSON.stringify(strongPassword)},"deviceInfo":{"deviceName":${nestedObject(5000)}}}`;
    expect(Buffer.byteLength(payload)).toBeLessThan(bodyLimitBytes);
    expectClientError(await send('POST', '/auth/login', payload), 400, 'VALIDATION_FAILED');
  });

  it('refuses 5,000 levels of objects as an extra field with 400 VALIDATION_FAILED', async () => {
    const email = uniqueEmail();
    const payload = `{"email":${JSON.stringify(email)},"password":${JSON.stringify(strongPassword)},"extra":${nestedObject(5000)}}`;
    expect(Buffer.byteLength(payload)).toBeLessThan(bodyLimitBytes);
    expectClientError(await send('POST', '/auth/register', payload), 400, 'VALIDATION_FAILED');
    expect(await test.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
  });

  it('refuses 15,000 levels of arrays, as a field and as the whole body, with 400', async () => {
    const asField = `{"email":${nestedArray(15_000)},"password":${JSON.stringify(strongPassword)}}`;
    expect(Buffer.byteLength(asField)).toBeLessThan(bodyLimitBytes);
    expectClientError(await send('POST', '/auth/register', asField), 400, 'VALIDATION_FAILED');

    const asBody = nestedArray(16_000);
    expect(Buffer.byteLength(asBody)).toBeLessThan(bodyLimitBytes);
    expectClientError(await send('POST', '/auth/login', asBody), 400, 'VALIDATION_FAILED');
  });

  it('refuses a __proto__ key hidden 5,000 levels deep with a 400', async () => {
    const payload = `{"email":"deep@example.com","password":"x","extra":${nestedObject(5000, '{"__proto__":{"polluted":"deep"}}')}}`;
    expect(Buffer.byteLength(payload)).toBeLessThan(bodyLimitBytes);
    const response = await send('POST', '/auth/register', payload);
    expect(response.statusCode).toBe(400);
    expect(['INVALID_JSON', 'VALIDATION_FAILED']).toContain(response.json().code);
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('prototype pollution', () => {
  const probe = (email: string, rest: string) =>
    `{"email":${JSON.stringify(email)},"password":${JSON.stringify(strongPassword)},${rest}}`;

  it.each([
    ['a top-level __proto__', '"__proto__":{"polluted":"yes","roles":["SUPER_ADMIN"]}'],
    ['an escaped \\u005f_proto__', '"\\u005f_proto__":{"polluted":"yes"}'],
    ['constructor.prototype', '"constructor":{"prototype":{"polluted":"yes"}}'],
    ['__proto__ inside firstName', '"firstName":{"__proto__":{"polluted":"yes"}}'],
  ])('refuses %s on register with a 400 and creates no account', async (_name, rest) => {
    const email = uniqueEmail();
    const response = await send('POST', '/auth/register', probe(email, rest));
    expect(response.statusCode).toBe(400);
    expectClientError(response, 400, response.json().code);
    expect(['INVALID_JSON', 'VALIDATION_FAILED']).toContain(response.json().code);
    expect(await test.db.select().from(users).where(eq(users.email, email))).toHaveLength(0);
  });

  it('refuses __proto__ and constructor.prototype inside deviceInfo on login with a 400', async () => {
    const { email } = await createVerifiedUser(test);
    for (const deviceInfo of [
      '"deviceInfo":{"__proto__":{"polluted":"yes"}}',
      '"deviceInfo":{"constructor":{"prototype":{"polluted":"yes"}}}',
    ]) {
      const response = await send('POST', '/auth/login', probe(email, deviceInfo));
      expect(response.statusCode).toBe(400);
      expect(['INVALID_JSON', 'VALIDATION_FAILED']).toContain(response.json().code);
    }
  });

  it('leaves Object.prototype untouched after all of the above', () => {
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(Object.hasOwn(Object.prototype, 'roles')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('content types', () => {
  const body = () => JSON.stringify({ email: uniqueEmail(), password: strongPassword });

  it.each([
    ['text/plain', () => body()],
    ['text/plain; charset=utf-8', () => body()],
    ['application/x-www-form-urlencoded', () => `email=${encodeURIComponent(uniqueEmail())}&password=x`],
    [
      'multipart/form-data; boundary=xyz',
      () => '--xyz\r\nContent-Disposition: form-data; name="email"\r\n\r\na\r\n--xyz--',
    ],
    ['application/xml', () => '<user><email>a@example.com</email></user>'],
  ])('refuses %s on register with 415 UNSUPPORTED_MEDIA_TYPE', async (contentType, payload) => {
    expectClientError(await send('POST', '/auth/register', payload(), contentType), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('accepts application/json with a charset parameter', async () => {
    const response = await send('POST', '/auth/register', body(), 'application/json; charset=utf-8');
    expect(response.statusCode).toBe(201);
  });
});

describe('routing', () => {
  it('answers an unknown route with 404 NOT_FOUND in the error format, for any method', async () => {
    expectClientError(await get(test.app, '/no/such/route'), 404, 'NOT_FOUND');
    expectClientError(await post(test.app, '/auth/no-such-thing', { email: uniqueEmail() }), 404, 'NOT_FOUND');
    expectClientError(await test.app.inject({ method: 'DELETE', url: '/auth/register' }), 404, 'NOT_FOUND');
  });

  it('answers an oversized path parameter with 414 URI_TOO_LONG and a broken escape with 400, in the error format', async () => {
    const { accessToken } = await createVerifiedUser(test);
    const long = await test.app.inject({
      method: 'DELETE',
      url: `/auth/sessions/${'a'.repeat(150)}`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expectClientError(long, 414, 'URI_TOO_LONG');
    expect(long.json()).toMatchObject({ error: 'URI Too Long', requestId: long.headers['x-request-id'] });
    const broken = await get(test.app, '/users/%E0%A4%A');
    expectClientError(broken, 400, 'INVALID_URL');
    expect(broken.json().error).toBe('Bad Request');
  });

  it('reaches the same route with a trailing slash or an upper-case path', async () => {
    for (const path of ['/auth/register/', '/AUTH/REGISTER', '/Auth/SignUp/']) {
      const response = await post(test.app, path, { email: uniqueEmail(), password: strongPassword });
      expect({ path, status: response.statusCode }).toEqual({ path, status: 201 });
    }
    const { accessToken, email } = await createVerifiedUser(test);
    for (const path of ['/auth/profile/', '/AUTH/PROFILE', '/Users/Me/']) {
      const response = await get(test.app, path, accessToken);
      expect({ path, status: response.statusCode }).toEqual({ path, status: 200 });
      expect(response.json().email).toBe(email);
    }
  });
});

describe('response headers', () => {
  it('sends no X-Powered-By and sends nosniff, on success and on errors', async () => {
    const { accessToken } = await createVerifiedUser(test);
    const responses = [
      await get(test.app, '/health'),
      await get(test.app, '/auth/profile', accessToken),
      await get(test.app, '/no/such/route'),
      await send('POST', '/auth/login', '{'),
      await get(test.app, '/auth/profile'),
    ];
    for (const response of responses) {
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('tags every error with an x-request-id equal to the body requestId, unique per request', async () => {
    const responses = [
      await get(test.app, '/no/such/route'),
      await send('POST', '/auth/register', '{'),
      await post(test.app, '/auth/register', { email: 'nope' }),
      await send('POST', '/auth/register', 'x'.repeat(40_000)),
      await send('POST', '/auth/register', 'email=a', 'application/x-www-form-urlencoded'),
      await get(test.app, '/auth/profile', 'not-a-token'),
    ];
    const ids = responses.map((response) => {
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.json().requestId).toBe(response.headers['x-request-id']);
      return response.headers['x-request-id'];
    });
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('after all of the above', () => {
  it('still registers, verifies and signs in a user', async () => {
    const { email, accessToken } = await createVerifiedUser(test);
    expect((await get(test.app, '/auth/profile', accessToken)).json().email).toBe(email);
    expect((await post(test.app, '/auth/login', { email, password: strongPassword })).statusCode).toBe(200);
  });
});
