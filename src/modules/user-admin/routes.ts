import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Authenticate } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses } from '../../http/schemas.js';
import {
  CreateUserBodySchema,
  DeleteUserBodySchema,
  IdParamsSchema,
  ListUsersQuerySchema,
  ManagedUserEnvelopeSchema,
  ManagedUserSchema,
  UpdateUserBodySchema,
} from './schemas.js';
import type { UserAdminService } from './service.js';

interface Deps {
  userAdmin: UserAdminService;
  authenticate: Authenticate;
  authorization: Authorization;
}

export function userAdminRoutes({ userAdmin, authenticate, authorization }: Deps): FastifyPluginAsyncTypebox {
  const { actorOf, requirePermission } = authorization;
  return async (app) => {
    app.post(
      '/users',
      {
        onRequest: authenticate,
        preHandler: requirePermission('user.create_all'),
        schema: {
          tags: ['Users'],
          summary: 'Create an account (permission user.create_all); it starts verified',
          security: bearerAuth,
          body: CreateUserBodySchema,
          response: { 201: ManagedUserEnvelopeSchema, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return userAdmin.createUser(actorOf(request), request.body);
      },
    );

    app.get(
      '/users',
      {
        onRequest: authenticate,
        preHandler: requirePermission('user.read_all'),
        schema: {
          tags: ['Users'],
          summary: 'List users (permission user.read_all); the total is in X-Total-Count',
          security: bearerAuth,
          querystring: ListUsersQuerySchema,
          response: {
            200: Type.Array(ManagedUserSchema),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const { users, total } = await userAdmin.listUsers(request.query);
        reply.header('x-total-count', String(total));
        return users;
      },
    );

    app.get(
      '/users/:id',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Users'],
          summary: 'One user (user.read_own for yourself, user.read_all for anyone)',
          security: bearerAuth,
          params: IdParamsSchema,
          response: { 200: ManagedUserEnvelopeSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => userAdmin.getUser(actorOf(request), request.params.id),
    );

    app.patch(
      '/users/:id',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Users'],
          summary: 'Update name or phone (user.update_own for yourself, user.update_all for anyone)',
          security: bearerAuth,
          params: IdParamsSchema,
          body: UpdateUserBodySchema,
          response: { 200: ManagedUserEnvelopeSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => userAdmin.updateUser(actorOf(request), request.params.id, request.body),
    );

    app.delete(
      '/users/:id',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Users'],
          summary: 'Delete an account and its data (yourself with currentPassword, anyone with user.delete_all)',
          security: bearerAuth,
          params: IdParamsSchema,
          body: DeleteUserBodySchema,
          response: { 200: ManagedUserEnvelopeSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => userAdmin.deleteUser(actorOf(request), request.params.id, request.body?.currentPassword),
    );
  };
}
