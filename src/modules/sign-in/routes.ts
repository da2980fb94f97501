import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { clientOf } from '../../http/authenticate.js';
import { errorResponses } from '../../http/schemas.js';
import { SignInResultSchema } from '../sessions/schemas.js';
import { MfaChallengeSchema } from '../two-factor/schemas.js';
import { LoginBodySchema } from './schemas.js';
import type { SignInService } from './service.js';

export function signInRoutes(signIn: SignInService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/login',
      {
        config: { rateLimit: { group: 'login', identifiedBy: ['email'] } },
        schema: {
          tags: ['Sign-in'],
          summary:
            'Sign in with email and password; creates a session for this device, or answers an MFA challenge when 2FA is on',
          body: LoginBodySchema,
          response: {
            200: Type.Union([SignInResultSchema, MfaChallengeSchema]),
            ...errorResponses(400, 401, 403, 423, 429),
          },
        },
      },
      (request) => signIn.signInWithPassword(request.body, clientOf(request)),
    );
  };
}
