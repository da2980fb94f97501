import type { FastifyInstance } from 'fastify';
import { runInRequestContext } from '../core/request-context.js';
import { clientOf } from './authenticate.js';

/**
 * Handlers (and every service they call) run inside the request's context:
 * the client's address and user agent, and the caller once a route's
 * `authenticate` has run (it is an onRequest hook, so before this one).
 * Entered at preHandler, after the body is parsed, because the parser's
 * stream callbacks would not carry the context.
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.addHook('preHandler', (request, _reply, done) => {
    runInRequestContext({ client: clientOf(request), actorUserId: request.principal?.userId ?? null }, done);
  });
}
