import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Authenticate } from '../../http/authenticate.js';
import type { Authorization } from '../../http/authorize.js';
import { bearerAuth, errorResponses, MessageSchema } from '../../http/schemas.js';
import type { ClientChanges, ClientInput, OidcClientService } from './clients.js';
import {
  ClientBodySchema,
  ClientParamsSchema,
  ClientPatchSchema,
  ClientSchema,
  ClientWithSecretSchema,
} from './schemas.js';

interface Deps {
  clients: OidcClientService;
  authenticate: Authenticate;
  authorization: Authorization;
}

const tags = ['Administration'];

/** The OpenID provider's clients as data (permission oidc.clients.manage, SUPER_ADMIN). */
export function oidcClientRoutes({ clients, authenticate, authorization }: Deps): FastifyPluginAsyncTypebox {
  const { actorOf, requirePermission } = authorization;
  const admin = { onRequest: authenticate, preHandler: requirePermission('oidc.clients.manage') };
  return async (app) => {
    app.get(
      '/admin/oidc/clients',
      {
        ...admin,
        schema: {
          tags,
          summary: "The OpenID provider's client apps (permission oidc.clients.manage)",
          security: bearerAuth,
          response: { 200: Type.Object({ clients: Type.Array(ClientSchema) }), ...errorResponses(401, 403) },
        },
      },
      async () => ({ clients: await clients.list() }),
    );

    app.post(
      '/admin/oidc/clients',
      {
        ...admin,
        schema: {
          tags,
          summary:
            'Register an app; a confidential one gets its secret in this answer only (permission oidc.clients.manage)',
          security: bearerAuth,
          body: ClientBodySchema,
          response: { 201: ClientWithSecretSchema, ...errorResponses(400, 401, 403) },
        },
      },
      async (request, reply) => {
        reply.code(201);
        return clients.create(actorOf(request), request.body as ClientInput);
      },
    );

    app.get(
      '/admin/oidc/clients/:clientId',
      {
        ...admin,
        schema: {
          tags,
          summary: 'One client app (permission oidc.clients.manage)',
          security: bearerAuth,
          params: ClientParamsSchema,
          response: { 200: Type.Object({ client: ClientSchema }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => ({ client: await clients.get(request.params.clientId) }),
    );

    app.patch(
      '/admin/oidc/clients/:clientId',
      {
        ...admin,
        schema: {
          tags,
          summary: 'Change a client app; its type cannot change (permission oidc.clients.manage)',
          security: bearerAuth,
          params: ClientParamsSchema,
          body: ClientPatchSchema,
          response: { 200: Type.Object({ client: ClientSchema }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => ({
        client: await clients.update(actorOf(request), request.params.clientId, request.body as ClientChanges),
      }),
    );

    app.delete(
      '/admin/oidc/clients/:clientId',
      {
        ...admin,
        schema: {
          tags,
          summary: 'Remove a client app and every code, token and grant issued to it (permission oidc.clients.manage)',
          security: bearerAuth,
          params: ClientParamsSchema,
          response: { 200: MessageSchema, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        await clients.remove(actorOf(request), request.params.clientId);
        return { message: 'Client removed' };
      },
    );

    app.post(
      '/admin/oidc/clients/:clientId/secret',
      {
        ...admin,
        schema: {
          tags,
          summary:
            'A new secret for a confidential client, shown once; the old one stops working (permission oidc.clients.manage)',
          security: bearerAuth,
          params: ClientParamsSchema,
          response: { 200: ClientWithSecretSchema, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => clients.rotateSecret(actorOf(request), request.params.clientId),
    );
  };
}
