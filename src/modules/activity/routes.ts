import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Authenticate, principalOf } from '../../http/authenticate.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { LoginHistorySchema, PageQuerySchema, TokenParamsSchema, TokenSchema } from './schemas.js';
import type { ActivityService } from './service.js';

interface Deps {
  activity: ActivityService;
  authenticate: Authenticate;
}

export function activityRoutes({ activity, authenticate }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/auth/logins',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Activity'],
          summary: 'Your sign-in attempts, newest first, with place, device and risk flags',
          security: bearerAuth,
          querystring: PageQuerySchema,
          response: { 200: LoginHistorySchema, ...errorResponses(400, 401) },
        },
      },
      (request) => activity.listLogins(principalOf(request).userId, request.query.limit, request.query.offset),
    );

    app.get(
      '/auth/tokens',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Activity'],
          summary: 'Your currently valid refresh tokens, one per live session (never their values)',
          security: bearerAuth,
          response: { 200: Type.Object({ tokens: Type.Array(TokenSchema) }), ...errorResponses(401) },
        },
      },
      (request) => activity.listTokens(principalOf(request).userId),
    );

    app.delete(
      '/auth/token/:tokenId',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Activity'],
          summary: 'Revoke a refresh token and sign its device out',
          security: bearerAuth,
          params: TokenParamsSchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 404) },
        },
      },
      (request) => activity.revokeToken(principalOf(request), request.params.tokenId),
    );
  };
}
