import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { clientOf } from '../../http/authenticate.js';
import { errorResponses } from '../../http/schemas.js';
import { SignInResultSchema } from '../sessions/schemas.js';
import { MfaChallengeSchema } from '../two-factor/schemas.js';
import { CodeSentSchema, RegisterBodySchema, ResendBodySchema, VerifyEmailBodySchema } from './schemas.js';
import type { RegistrationService } from './service.js';

export function registrationRoutes(registration: RegistrationService): FastifyPluginAsyncTypebox {
  return async (app) => {
    const register = {
      config: { rateLimit: { group: 'register', identifiedBy: ['email' as const] } },
      schema: {
        tags: ['Sign-up'],
        summary: 'Create an account; a 6-digit code is emailed to verify the address',
        body: RegisterBodySchema,
        response: { 201: CodeSentSchema, ...errorResponses(400, 429) },
      },
    };
    for (const path of ['/auth/register', '/auth/signup']) {
      app.post(path, register, async (request, reply) => {
        reply.code(201);
        return registration.register(request.body);
      });
    }

    const verify = {
      config: { rateLimit: { group: 'code-verify', identifiedBy: ['email' as const] } },
      schema: {
        tags: ['Sign-up'],
        summary: 'Confirm the email with its code; signs the user in on this device',
        body: VerifyEmailBodySchema,
        response: { 200: Type.Union([SignInResultSchema, MfaChallengeSchema]), ...errorResponses(400, 429) },
      },
    };
    for (const path of ['/auth/verify-email', '/auth/email/verify']) {
      app.post(path, verify, (request) => registration.verifyEmail(request.body, clientOf(request)));
    }

    const resend = {
      config: { rateLimit: { group: 'code-send', identifiedBy: ['email' as const] } },
      schema: {
        tags: ['Sign-up'],
        summary: 'Send a new verification code (the previous one stops working)',
        body: ResendBodySchema,
        response: { 200: CodeSentSchema, ...errorResponses(400, 429) },
      },
    };
    for (const path of ['/auth/resend-otp', '/auth/email/send-verification']) {
      app.post(path, resend, (request) => registration.resendVerification(request.body.email));
    }
  };
}
