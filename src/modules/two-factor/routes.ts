import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { type Authenticate, clientOf, principalOf } from '../../http/authenticate.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { SignInResultSchema } from '../sessions/schemas.js';
import {
  DisableBodySchema,
  EnableBodySchema,
  EnableResultSchema,
  RecoveryCodesSchema,
  RegenerateBodySchema,
  VerifyBodySchema,
} from './schemas.js';
import type { TwoFactorService } from './service.js';

interface Deps {
  twoFactor: TwoFactorService;
  authenticate: Authenticate;
}

export function twoFactorRoutes({ twoFactor, authenticate }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/2fa/enable',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Two-factor'],
          summary: 'Start TOTP or SMS enrollment (needs the password); confirm with POST /auth/2fa/verify',
          security: bearerAuth,
          body: EnableBodySchema,
          response: { 200: EnableResultSchema, ...errorResponses(400, 401, 409, 429) },
        },
      },
      (request) => twoFactor.beginEnrollment(principalOf(request), request.body.method, request.body.password),
    );

    app.post(
      '/auth/2fa/verify',
      {
        config: { rateLimit: { group: '2fa-verify', identifiedBy: ['mfaToken'] } },
        schema: {
          tags: ['Two-factor'],
          summary:
            'With { mfaToken, code | recoveryCode }: finish signing in. With a bearer token and { code }: confirm enrollment and receive recovery codes once',
          body: VerifyBodySchema,
          response: {
            200: Type.Union([SignInResultSchema, RecoveryCodesSchema]),
            ...errorResponses(400, 401, 429),
          },
        },
      },
      async (request) => {
        const { mfaToken, deviceInfo, ...factor } = request.body;
        if (mfaToken) return twoFactor.completeChallenge(mfaToken, factor, deviceInfo, clientOf(request));
        await authenticate(request);
        return twoFactor.confirmEnrollment(principalOf(request), factor);
      },
    );

    app.post(
      '/auth/2fa/disable',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Two-factor'],
          summary: 'Turn two-factor off (needs the password and a current code or recovery code)',
          security: bearerAuth,
          body: DisableBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 429) },
        },
      },
      (request) => {
        const { password, ...factor } = request.body;
        return twoFactor.disable(principalOf(request), password, factor);
      },
    );

    app.post(
      '/auth/2fa/recovery-codes',
      {
        onRequest: authenticate,
        schema: {
          tags: ['Two-factor'],
          summary: 'Replace the recovery codes (needs the password); the old ones stop working',
          security: bearerAuth,
          body: RegenerateBodySchema,
          response: { 200: RecoveryCodesSchema, ...errorResponses(400, 401) },
        },
      },
      (request) => twoFactor.regenerateRecoveryCodes(principalOf(request), request.body.password),
    );
  };
}
