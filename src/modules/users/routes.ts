import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Authenticate, principalOf } from '../../http/authenticate.js';
import { bearerAuth, errorResponses } from '../../http/schemas.js';
import { ProfileSchema, UpdateProfileBodySchema } from './schemas.js';
import type { UserService } from './service.js';

interface Deps {
  users: UserService;
  authenticate: Authenticate;
}

export function userRoutes({ users, authenticate }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const readProfile = {
      onRequest: authenticate,
      schema: {
        tags: ['Profile'],
        summary: 'The signed-in user with roles and permissions',
        security: bearerAuth,
        response: { 200: ProfileSchema, ...errorResponses(401) },
      },
    };
    app.get('/auth/profile', readProfile, async (request) => users.presentCachedProfile(principalOf(request).account));
    app.get('/users/me', readProfile, async (request) => users.presentCachedProfile(principalOf(request).account));

    app.put(
      '/users/me',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Profile'],
          summary: 'Update name or phone number (a new phone number must be verified again)',
          security: bearerAuth,
          body: UpdateProfileBodySchema,
          response: { 200: ProfileSchema, ...errorResponses(400, 401, 409) },
        },
      },
      (request) => users.updateOwnProfile(principalOf(request).userId, request.body),
    );
  };
}
