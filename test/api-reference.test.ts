import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './helpers.js';

interface Operation {
  summary?: string;
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, { content?: { 'application/json'?: { schema?: Record<string, unknown> } } }>;
}

let test: TestApp;
let document: {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
};
beforeAll(async () => {
  test = await buildTestApp();
  document = (await test.app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => test.close());

const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');
const operations = () =>
  test.app.routeList.map((route) => ({
    route,
    operation: document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()],
  }));

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with the bearer scheme', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components).toMatchObject({ securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } });
  });

  it('documents every route and alias, each with a summary, a success schema and its error responses', () => {
    const problems: string[] = [];
    for (const { route, operation } of operations()) {
      const name = `${route.method} ${route.url}`;
      if (!operation) {
        problems.push(`${name}: missing`);
        continue;
      }
      if (!operation.summary) problems.push(`${name}: no summary`);
      const statuses = Object.keys(operation.responses);
      const success = statuses.find((status) => status.startsWith('2'));
      if (!success || !operation.responses[success]?.content?.['application/json']?.schema) {
        problems.push(`${name}: no success schema`);
      }
      const errors = statuses.filter((status) => /^[45]/.test(status));
      if (errors.length === 0) problems.push(`${name}: no error responses`);
      for (const status of errors) {
        const schema = operation.responses[status]?.content?.['application/json']?.schema;
        if (!(schema?.properties as Record<string, unknown> | undefined)?.code)
          problems.push(`${name}: ${status} lacks the error schema`);
      }
      // Actions that take no input: unlocking an account, rotating a client's secret.
      const takesNoInput = route.url.includes('unlock') || route.url.endsWith('/secret');
      if (['POST', 'PUT', 'PATCH'].includes(route.method) && !operation.requestBody && !takesNoInput) {
        problems.push(`${name}: no request body`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('marks exactly the protected routes with the bearer scheme', () => {
    const secured = operations()
      .filter(({ operation }) => operation?.security)
      .map(({ route }) => `${route.method} ${route.url}`);
    expect(secured).toContain('GET /auth/profile');
    expect(secured).toContain('POST /auth/roles/assign');
    expect(secured).not.toContain('POST /auth/login');
    expect(secured).not.toContain('POST /auth/register');
  });

  it('carries the examples of the API reference', () => {
    const register = document.paths['/auth/register']?.post?.requestBody as {
      content: { 'application/json': { schema: { properties: Record<string, { examples?: unknown[] }> } } };
    };
    const properties = register.content['application/json'].schema.properties;
    expect(properties.email?.examples).toContain('user@example.com');
    expect(properties.password?.examples).toContain('SecurePass123!');
  });
});
