import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import type { AccountAdminService } from './account-service.js';
import { IdParamsSchema, LockBodySchema, ManagedUserEnvelopeSchema } from './schemas.js';

interface Deps {
  accounts: AccountAdminService;
  authenticate: Authenticate;
  authorization: Authorization;
}

export function accountAdminRoutes({ accounts, authenticate, authorization }: Deps): FastifyPluginAsyncTypebox {
  const { actorOf, requirePermission } = authorization;
  return async (app) => {
    app.post(
      '/admin/users/:id/lock',
      {
        onRequest: authenticate,
        preHandler: requirePermission('user.lock'),
        schema: {
          tags: ['Administration'],
          summary: 'Lock an account (permission user.lock); its sessions end at once',
          security: bearerAuth,
          params: IdParamsSchema,
          body: LockBodySchema,
          response: { 200: ManagedUserEnvelopeSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => accounts.lockUser(actorOf(request), request.params.id, request.body ?? {}),
    );

    app.post(
      '/admin/users/:id/unlock',
      {
        onRequest: authenticate,
        preHandler: requirePermission('user.lock'),
        schema: {
          tags: ['Administration'],
          summary: 'Unlock an account (permission user.lock)',
          security: bearerAuth,
          params: IdParamsSchema,
          response: { 200: ManagedUserEnvelopeSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => accounts.unlockUser(actorOf(request), request.params.id),
    );

    app.delete(
      '/admin/users/:id/sessions',
      {
        onRequest: authenticate,
        preHandler: requirePermission('session.revoke_all'),
        schema: {
          tags: ['Administration'],
          summary: 'Sign a user out everywhere (permission session.revoke_all)',
          security: bearerAuth,
          params: IdParamsSchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => accounts.signOutEverywhere(actorOf(request), request.params.id),
    );
  };
}
