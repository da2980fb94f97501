import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, get, type TestApp } from '../../../test/helpers.js';

let test: TestApp;
beforeAll(async () => {
  test = await buildTestApp();
});
afterAll(() => test.close());

describe('operations endpoints', () => {
  it('GET /health answers without touching the database', async () => {
    const response = await get(test.app, '/health');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready checks the database', async () => {
    const response = await get(test.app, '/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ready', checks: { database: 'up' } });
  });

  it('GET /.well-known/jwks.json publishes only public Ed25519 keys, cacheable', async () => {
    const response = await get(test.app, '/.well-known/jwks.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    const { keys } = response.json();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: expect.any(String),
      kid: expect.any(String),
      alg: 'EdDSA',
      use: 'sig',
    });
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('readiness when the database is gone', () => {
  it('answers 503 SERVICE_UNAVAILABLE without internals', async () => {
    const broken = await buildTestApp();
    await broken.platform.database.close();
    const response = await get(broken.app, '/ready');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'The service is not ready' });
    await broken.close();
  });
});
