import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConfirmBodySchema } from '../../core/schemas.js';
import { type Authenticate, clientOf, principalOf } from '../../http/authenticate.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { SignInResultSchema } from '../sessions/schemas.js';
import {
  LoginOptionsBodySchema,
  LoginOptionsSchema,
  LoginVerifyBodySchema,
  PasskeyParamsSchema,
  PasskeySchema,
  RegisterVerifyBodySchema,
  RenameBodySchema,
  WebAuthnOptionsSchema,
} from './schemas.js';
import type { PasskeyService } from './service.js';

interface Deps {
  passkeys: PasskeyService;
  /** Options for the second step of a sign-in (the two-factor service, which depends on passkeys). */
  secondStep: { passkeyOptions(mfaToken: string): ReturnType<PasskeyService['assertionOptions']> };
  authenticate: Authenticate;
}

const tags = ['Passkeys'];

export function passkeyRoutes({ passkeys, secondStep, authenticate }: Deps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/auth/passkeys/register/options',
      {
        onRequest: authenticate,
        schema: {
          tags,
          summary:
            'Creation options for a new passkey (needs { password }, or a sign-in of the last 5 minutes; resident key preferred, user verification required)',
          security: bearerAuth,
          body: ConfirmBodySchema,
          response: { 200: WebAuthnOptionsSchema, ...errorResponses(400, 401, 403, 429) },
        },
        config: { rateLimit: { group: 'passkey-options' } },
      },
      (request) => passkeys.registrationOptions(principalOf(request), request.body?.password),
    );

    app.post(
      '/auth/passkeys/register/verify',
      {
        onRequest: authenticate,
        schema: {
          tags,
          summary: "Register the passkey from the authenticator's answer to the creation options",
          security: bearerAuth,
          body: RegisterVerifyBodySchema,
          response: { 200: Type.Object({ passkey: PasskeySchema }), ...errorResponses(400, 401) },
        },
      },
      (request) => passkeys.verifyRegistration(principalOf(request), request.body.response, request.body.name),
    );

    app.get(
      '/auth/passkeys',
      {
        onRequest: authenticate,
        schema: {
          tags,
          summary: "The caller's passkeys",
          security: bearerAuth,
          response: { 200: Type.Object({ passkeys: Type.Array(PasskeySchema) }), ...errorResponses(401) },
        },
      },
      (request) => passkeys.list(principalOf(request).userId),
    );

    app.patch(
      '/auth/passkeys/:id',
      {
        onRequest: authenticate,
        schema: {
          tags,
          summary: 'Rename a passkey',
          security: bearerAuth,
          params: PasskeyParamsSchema,
          body: RenameBodySchema,
          response: { 200: Type.Object({ passkey: PasskeySchema }), ...errorResponses(400, 401, 404) },
        },
      },
      (request) => passkeys.rename(principalOf(request), request.params.id, request.body.name),
    );

    app.delete(
      '/auth/passkeys/:id',
      {
        onRequest: authenticate,
        schema: {
          tags,
          summary: 'Remove a passkey (needs { password }, or a sign-in of the last 5 minutes)',
          security: bearerAuth,
          params: PasskeyParamsSchema,
          body: ConfirmBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      (request) => passkeys.remove(principalOf(request), request.params.id, request.body?.password),
    );

    app.post(
      '/auth/passkeys/login/options',
      {
        config: { rateLimit: { group: 'passkey-login', identifiedBy: ['email', 'mfaToken'] } },
        schema: {
          tags,
          summary:
            'Request options to sign in with a passkey: for { email }, its passkeys; without, any discoverable passkey; with { mfaToken }, for the second step of a sign-in',
          body: LoginOptionsBodySchema,
          response: { 200: LoginOptionsSchema, ...errorResponses(400, 401, 429) },
        },
      },
      (request) =>
        request.body?.mfaToken
          ? secondStep.passkeyOptions(request.body.mfaToken)
          : passkeys.loginOptions(request.body?.email),
    );

    app.post(
      '/auth/passkeys/login/verify',
      {
        config: { rateLimit: { group: 'passkey-login' } },
        schema: {
          tags,
          summary: 'Sign in with a passkey: the seed’s sign-in answer; a user-verified passkey needs no second step',
          body: LoginVerifyBodySchema,
          response: { 200: SignInResultSchema, ...errorResponses(400, 401, 403, 423, 429) },
        },
      },
      (request) => passkeys.signIn(request.body, clientOf(request)),
    );
  };
}
