import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../errors.js';
import { errorResponses } from '../../http/schemas.js';
import type { AccessTokens } from '../../platform/access-tokens.js';

interface Deps {
  ping: () => Promise<void>;
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

export function healthRoutes({ ping, accessTokens }: Deps): FastifyPluginAsyncTypebox {
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
          summary: 'Readiness: the database answers',
          response: { 200: Type.Object({ status: Type.Literal('ready') }), ...errorResponses(503) },
        },
      },
      async () => {
        try {
          await ping();
        } catch (error) {
          throw new AppError('SERVICE_UNAVAILABLE', { cause: error });
        }
        return { status: 'ready' as const };
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
