import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { errorResponses } from '../../http/schemas.js';
import type { AccessTokens } from '../../platform/access-tokens.js';

interface Deps {
  /** What readiness depends on, by name: the database, and Redis when REDIS_URL is set. */
  checks: Record<string, () => Promise<unknown>>;
  accessTokens: AccessTokens;
}

const JwkSchema = Type.Object({
  kty: Type.String(),
  crv: Type.String(),
  x: Type.String(),
  kid: Type.String(),
  alg: Type.String(),
  use: Type.String(),
});

export function healthRoutes({ checks, accessTokens }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/health',
      {
        schema: {
          tags: ['Operations'],
          summary: 'Liveness: the process answers',
          response: { 200: Type.Object({ status: Type.Literal('ok') }), ...errorResponses(500) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/ready',
      {
        schema: {
          tags: ['Operations'],
          summary: 'Readiness: the database (and Redis, when configured) answers',
          response: {
            200: Type.Object({
              status: Type.Literal('ready'),
              checks: Type.Record(Type.String(), Type.Literal('up'), { examples: [{ database: 'up', redis: 'up' }] }),
            }),
            ...errorResponses(503),
          },
        },
      },
      async (request) => {
        const names = Object.keys(checks);
        const outcomes = await Promise.allSettled(names.map((name) => checks[name]?.()));
        const down = names.filter((_, index) => outcomes[index]?.status === 'rejected');
        if (down.length > 0) {
          const causes = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
          request.log.warn({ down, err: causes[0] }, 'not ready');
          throw new AppError('SERVICE_UNAVAILABLE', { cause: causes[0] });
        }
        return { status: 'ready' as const, checks: Object.fromEntries(names.map((name) => [name, 'up' as const])) };
      },
    );

    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          tags: ['Operations'],
          summary: 'Public keys that verify access tokens (EdDSA, by kid)',
          response: { 200: Type.Object({ keys: Type.Array(JwkSchema) }), ...errorResponses(500) },
        },
      },
      async (_request, reply) => {
        // Public and shared by every caller; verifiers may cache it briefly.
        reply.header('cache-control', 'public, max-age=300');
        return accessTokens.jwks();
      },
    );
  };
}
