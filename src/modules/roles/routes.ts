import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { RoleChangeBodySchema, UserAccessSchema, UserIdParamsSchema } from './schemas.js';
import type { RoleService } from './service.js';

interface Deps {
  roles: RoleService;
  authenticate: Authenticate;
  authorization: Authorization;
}

export function roleRoutes({ roles, authenticate, authorization }: Deps): FastifyPluginAsyncTypebox {
  const { actorOf, requirePermission } = authorization;
  return async (app) => {
    const assign = {
      onRequest: authenticate,
      preHandler: requirePermission('role.assign'),
      schema: {
        tags: ['Roles'],
        summary: 'Give a user a role (permission role.assign)',
        security: bearerAuth,
        body: RoleChangeBodySchema,
        response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404) },
      },
    };
    for (const path of ['/auth/roles/assign', '/admin/assign-role']) {
      app.post(path, assign, async (request) => roles.assignRole(actorOf(request), request.body));
    }

    app.delete(
      '/auth/roles/remove',
      {
        onRequest: authenticate,
        preHandler: requirePermission('role.assign'),
        schema: {
          tags: ['Roles'],
          summary: 'Take a role from a user (permission role.assign); the last SUPER_ADMIN keeps theirs',
          security: bearerAuth,
          body: RoleChangeBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => roles.removeRole(actorOf(request), request.body),
    );

    app.get(
      '/auth/roles/user/:userId',
      {
        onRequest: authenticate,
        preHandler: requirePermission('role.read'),
        schema: {
          tags: ['Roles'],
          summary: "A user's roles and the union of their permissions (permission role.read)",
          security: bearerAuth,
          params: UserIdParamsSchema,
          response: { 200: UserAccessSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      (request) => roles.getUserAccess(request.params.userId),
    );
  };
}
