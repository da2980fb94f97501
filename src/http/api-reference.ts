import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The OpenAPI 3.1 document is generated from the route schemas, so it cannot
 * drift from what the server validates. Registered before the routes, which
 * it collects as they are added. The page's assets come from the npm package,
 * never from a CDN.
 */
export async function registerApiReference(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description:
          'Authentication and user management. Every error body is `{ statusCode, message, error, code, requestId }`; the codes are listed in docs/errors.md.',
      },
      // Relative: "Try it out" calls the origin that served the page, wherever it is deployed.
      servers: [{ url: '/', description: 'this Gatehouse' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'The accessToken from login, verify-email, refresh or 2FA verify',
          },
        },
      },
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // validatorUrl null: the page would otherwise send the spec to an outside validator.
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: true, validatorUrl: null },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => {
    // Public and the same for everyone.
    reply.header('cache-control', 'public, max-age=60');
    return app.swagger();
  });
}
