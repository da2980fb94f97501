import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type Authenticate, principalOf } from '../../http/authenticate.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { ChangeBodySchema, ResetBodySchema, ResetRequestBodySchema } from './schemas.js';
import type { PasswordService } from './service.js';

interface Deps {
  passwords: PasswordService;
  authenticate: Authenticate;
}

export function passwordRoutes({ passwords, authenticate }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/password/reset-request',
      {
        config: { rateLimit: { group: 'reset-request', identifiedBy: ['email'] } },
        schema: {
          tags: ['Password'],
          summary: 'Email a single-use reset link (same answer whether or not the address has an account)',
          body: ResetRequestBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 429) },
        },
      },
      (request) => passwords.requestReset(request.body.email),
    );

    app.post(
      '/auth/password/reset',
      {
        schema: {
          tags: ['Password'],
          summary: 'Set a new password with the emailed token; every device is signed out',
          body: ResetBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400) },
        },
      },
      (request) => passwords.resetPassword(request.body.token, request.body.newPassword),
    );

    app.post(
      '/auth/password/change',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Password'],
          summary: 'Change the password (needs the current one); other devices are signed out',
          security: bearerAuth,
          body: ChangeBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401) },
        },
      },
      (request) =>
        passwords.changePassword(principalOf(request), request.body.currentPassword, request.body.newPassword),
    );
  };
}
