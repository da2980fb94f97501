import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConfirmBodySchema } from '../../core/schemas.js';
import { type Authenticate, clientOf, principalOf } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import { SignInResultSchema } from '../sessions/schemas.js';
import { MfaChallengeSchema } from '../two-factor/schemas.js';
import type { ProviderAdminService } from './admin.js';
import {
  AdminProviderSchema,
  ExchangeBodySchema,
  IdentityParamsSchema,
  IdentitySchema,
  IdTokenBodySchema,
  ProviderBodySchema,
  ProviderParamsSchema,
  ProviderPatchSchema,
  PublicProviderSchema,
} from './schemas.js';
import type { FederationService } from './service.js';

interface Deps {
  federation: FederationService;
  identityProviders: ProviderAdminService;
  authenticate: Authenticate;
  authorization: Authorization;
}

const tags = ['Federated sign-in'];
const signInAnswer = Type.Union([SignInResultSchema, MfaChallengeSchema]);

/** The JSON side of federated sign-in; the redirect flow's browser routes are in web/federation. */
export function federationRoutes({
  federation,
  identityProviders,
  authenticate,
  authorization,
}: Deps): FastifyPluginAsyncTypebox {
  const { actorOf, requirePermission } = authorization;
  return async (app) => {
    app.get(
      '/auth/providers',
      {
        schema: {
          tags,
          summary: 'The sign-in providers configured (a button each); start one at GET /auth/oauth/{id}',
          response: { 200: Type.Object({ providers: Type.Array(PublicProviderSchema) }), ...errorResponses(429) },
        },
      },
      async () => ({ providers: await federation.listProviders() }),
    );

    app.post(
      '/auth/oauth/exchange',
      {
        config: { rateLimit: { group: 'oauth-exchange' } },
        schema: {
          tags,
          summary:
            "An app's one-time code (from the redirect to its return_to) for the sign-in answer: once, within 60 seconds",
          body: ExchangeBodySchema,
          response: { 200: signInAnswer, ...errorResponses(400, 403, 423, 429) },
        },
      },
      (request) => federation.exchange(request.body, clientOf(request)),
    );

    app.post(
      '/auth/oauth/:provider/token',
      {
        config: { rateLimit: { group: 'oauth-token' } },
        schema: {
          tags,
          summary:
            "Native apps: the provider's ID token for the sign-in answer (signature, issuer, audience, expiry and nonce checked)",
          params: ProviderParamsSchema,
          body: IdTokenBodySchema,
          response: { 200: signInAnswer, ...errorResponses(400, 401, 403, 404, 409, 423, 429, 502) },
        },
      },
      (request) => federation.signInWithIdToken(request.params.provider, request.body, clientOf(request)),
    );

    app.get(
      '/auth/identities',
      {
        onRequest: authenticate,
        schema: {
          tags,
          summary: "The caller's linked identities",
          security: bearerAuth,
          response: { 200: Type.Object({ identities: Type.Array(IdentitySchema) }), ...errorResponses(401) },
        },
      },
      async (request) => ({ identities: await federation.listIdentities(principalOf(request).userId) }),
    );

    app.delete(
      '/auth/identities/:id',
      {
        onRequest: authenticate,
        // It checks the password: a stolen token must not become a way to guess it.
        config: { rateLimit: { group: 'identity-unlink' } },
        schema: {
          tags,
          summary:
            'Unlink an identity (needs { password }, or a sign-in of the last 5 minutes), unless it is the last way to sign in (409 LAST_SIGN_IN_METHOD)',
          security: bearerAuth,
          params: IdentityParamsSchema,
          body: ConfirmBodySchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        await federation.unlink(principalOf(request), request.params.id, request.body?.password);
        return { message: 'Identity unlinked' };
      },
    );

    const admin = { onRequest: authenticate, preHandler: requirePermission('idp.manage') };
    const adminTags = ['Administration'];

    app.get(
      '/admin/identity-providers',
      {
        ...admin,
        schema: {
          tags: adminTags,
          summary: 'Sign-in providers, the environment ones included (permission idp.manage)',
          security: bearerAuth,
          response: { 200: Type.Object({ providers: Type.Array(AdminProviderSchema) }), ...errorResponses(401, 403) },
        },
      },
      async () => ({ providers: await identityProviders.list() }),
    );

    app.post(
      '/admin/identity-providers',
      {
        ...admin,
        schema: {
          tags: adminTags,
          summary: 'Add a provider (discovered before it is saved; permission idp.manage)',
          security: bearerAuth,
          body: ProviderBodySchema,
          response: {
            201: Type.Object({ provider: AdminProviderSchema }),
            ...errorResponses(400, 401, 403, 409, 502),
          },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return { provider: await identityProviders.create(actorOf(request), request.body) };
      },
    );

    app.get(
      '/admin/identity-providers/:provider',
      {
        ...admin,
        schema: {
          tags: adminTags,
          summary: 'One provider (permission idp.manage)',
          security: bearerAuth,
          params: ProviderParamsSchema,
          response: { 200: Type.Object({ provider: AdminProviderSchema }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => ({ provider: await identityProviders.get(request.params.provider) }),
    );

    app.patch(
      '/admin/identity-providers/:provider',
      {
        ...admin,
        schema: {
          tags: adminTags,
          summary: 'Change a stored provider (environment ones: 409 PROVIDER_READ_ONLY; permission idp.manage)',
          security: bearerAuth,
          params: ProviderParamsSchema,
          body: ProviderPatchSchema,
          response: {
            200: Type.Object({ provider: AdminProviderSchema }),
            ...errorResponses(400, 401, 403, 404, 409, 502),
          },
        },
      },
      async (request) => ({
        provider: await identityProviders.update(actorOf(request), request.params.provider, request.body),
      }),
    );

    app.delete(
      '/admin/identity-providers/:provider',
      {
        ...admin,
        schema: {
          tags: adminTags,
          summary: 'Remove a stored provider and its linked identities (permission idp.manage)',
          security: bearerAuth,
          params: ProviderParamsSchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        await identityProviders.remove(actorOf(request), request.params.provider);
        return { message: 'Provider removed' };
      },
    );
  };
}
