import type { FastifyInstance } from 'fastify';

/**
 * Every answer is private to its caller (tokens, profiles, sessions), so nothing
 * is cached unless a route says otherwise (the JWKS does).
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
    reply.header('x-request-id', request.id);
  });
}
