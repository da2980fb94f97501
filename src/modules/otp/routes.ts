import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type Authenticate, clientOf } from '../../http/authenticate.js';
import { errorResponses, MessageSchema } from '../../http/schemas.js';
import { CodeSentSchema } from '../registration/schemas.js';
import { SignInResultSchema } from '../sessions/schemas.js';
import { MfaChallengeSchema } from '../two-factor/schemas.js';
import { UserSchema } from '../users/schemas.js';
import { OtpSendBodySchema, OtpVerifyBodySchema } from './schemas.js';
import type { OtpService } from './service.js';

interface Deps {
  otp: OtpService;
  authenticate: Authenticate;
}

export function otpRoutes({ otp, authenticate }: Deps): FastifyPluginAsyncTypebox {
  // verify_phone acts on the signed-in user; the other purposes are public.
  async function principalFor(request: FastifyRequest, purpose: string) {
    if (purpose !== 'verify_phone') return null;
    await authenticate(request);
    return request.principal;
  }

  return async (app) => {
    app.post(
      '/auth/otp/send',
      {
        config: { rateLimit: { group: 'code-send', identifiedBy: ['email', 'phoneNumber'] } },
        schema: {
          tags: ['One-time codes'],
          summary: 'Send a 6-digit code by SMS or email for verify_phone (bearer), verify_email or login',
          body: OtpSendBodySchema,
          response: { 200: CodeSentSchema, ...errorResponses(400, 401, 429) },
        },
      },
      async (request) => otp.send(request.body, await principalFor(request, request.body.purpose)),
    );

    app.post(
      '/auth/otp/verify',
      {
        config: { rateLimit: { group: 'code-verify', identifiedBy: ['email', 'phoneNumber'] } },
        schema: {
          tags: ['One-time codes'],
          summary: 'Check a code: verify_phone marks the phone verified; verify_email and login sign in',
          body: OtpVerifyBodySchema,
          response: {
            200: Type.Union([
              SignInResultSchema,
              MfaChallengeSchema,
              Type.Object({ message: MessageSchema.properties.message, user: UserSchema }),
            ]),
            ...errorResponses(400, 401, 409, 423),
          },
        },
      },
      async (request) => otp.verify(request.body, await principalFor(request, request.body.purpose), clientOf(request)),
    );
  };
}
