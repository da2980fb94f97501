import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors.js';
import { type Authenticate, bearerToken, principalOf } from '../../http/authenticate.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { presentSession } from './presenter.js';
import {
  LogoutBodySchema,
  RefreshBodySchema,
  RefreshResultSchema,
  SessionListSchema,
  SessionParamsSchema,
} from './schemas.js';
import type { SessionService } from './service.js';

interface Deps {
  sessions: SessionService;
  authenticate: Authenticate;
  accessTokenTtlSeconds: number;
}

export function sessionRoutes({ sessions, authenticate, accessTokenTtlSeconds }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const refresh = {
      schema: {
        tags: ['Sessions'],
        summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
        body: RefreshBodySchema,
        response: { 200: RefreshResultSchema, ...errorResponses(400, 401) },
      },
    };
    for (const path of ['/auth/refresh', '/auth/token/refresh']) {
      app.post(path, refresh, async (request) => {
        const tokens = await sessions.rotateRefreshToken(request.body.refreshToken);
        return { ...tokens, tokenType: 'Bearer' as const, expiresIn: accessTokenTtlSeconds };
      });
    }

    app.post(
      '/auth/logout',
      {
        schema: {
          tags: ['Sessions'],
          summary: 'End this session, named by the bearer token or by a refresh token in the body',
          body: LogoutBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401) },
        },
      },
      async (request) => {
        // Either credential names the session; an expired access token must not block logout by refresh token.
        const token = bearerToken(request);
        const refreshToken = request.body?.refreshToken;
        const principal =
          (token ? await sessions.authenticate(token) : null) ??
          (refreshToken ? await sessions.findSessionOfRefreshToken(refreshToken) : null);
        if (!principal) throw new AppError(refreshToken && !token ? 'REFRESH_TOKEN_INVALID' : 'UNAUTHORIZED');
        await sessions.endSession(principal, 'logout');
        return { message: 'Logged out' };
      },
    );

    app.get(
      '/auth/sessions',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Sessions'],
          summary: 'Live sessions of the signed-in user, one per device',
          security: bearerAuth,
          response: { 200: SessionListSchema, ...errorResponses(401) },
        },
      },
      async (request) => {
        const { userId, sessionId } = principalOf(request);
        const list = await sessions.listSessions(userId);
        return { userId, sessions: list.map((session) => presentSession(session, sessionId)) };
      },
    );

    app.delete(
      '/auth/sessions/:sessionId',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Sessions'],
          summary: 'Sign out one device; its tokens stop working at once',
          security: bearerAuth,
          params: SessionParamsSchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const { userId } = principalOf(request);
        const ended = await sessions.endSession({ userId, sessionId: request.params.sessionId }, 'revoked_by_user');
        // Another user's session id answers exactly like an unknown one.
        if (!ended) throw new AppError('SESSION_NOT_FOUND');
        return { message: 'Session revoked' };
      },
    );

    app.delete(
      '/auth/sessions',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Sessions'],
          summary: 'Sign out every device, this one included',
          security: bearerAuth,
          response: { 200: MessageSchema, ...errorResponses(401) },
        },
      },
      async (request) => {
        const { userId } = principalOf(request);
        const count = await sessions.endAllSessions(userId, { actorUserId: userId, reason: 'logout_all' });
        return { message: `Logged out from ${count} session${count === 1 ? '' : 's'}` };
      },
    );
  };
}
