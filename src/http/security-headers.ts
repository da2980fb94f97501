import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Every answer is private to its caller (tokens, profiles, sessions), so nothing
 * is cached unless a route says otherwise (the JWKS does).
 */
const headers = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

export function applySecurityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(headers);
  reply.header('x-request-id', request.id);
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    applySecurityHeaders(request, reply);
    done();
  });
}
