import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { Metrics } from '../platform/metrics.js';
import { constantTimeEqual } from '../platform/secrets.js';

/**
 * One log line per request (Fastify's default is two), with the request id
 * that is also in the response header and in error bodies; and the request
 * counters and durations, labelled by route pattern so ids do not explode the
 * label space.
 */
export function registerRequestObservability(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.httpDuration.observe({ method: request.method, route }, seconds);
    request.log.info(
      {
        method: request.method,
        route,
        url: request.url.split('?')[0],
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
      },
      'request',
    );
  });
}

/** Prometheus text; behind a bearer token when METRICS_TOKEN is set (otherwise it lives on its own port). */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    if (token) {
      const presented = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '';
      if (!constantTimeEqual(presented, token)) throw new AppError('UNAUTHORIZED');
    }
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}
