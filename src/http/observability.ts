import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { AccessLog } from '../platform/logger.js';
import type { Metrics } from '../platform/metrics.js';
import { constantTimeEqual } from '../platform/secrets.js';

/**
 * One log line per request (Fastify's default is two), with the request id
 * that is also in the response header and in error bodies; and the request
 * counters and durations, labelled by route pattern so ids do not explode the
 * label space.
 */
export function registerRequestObservability(app: FastifyInstance, metrics: Metrics, accessLog: AccessLog): void {
  // prom-client hashes a label object on every call; the children per label set are few
  // (routes × methods × statuses), so each is looked up once and then kept.
  const counters = new Map<string, { inc(): void }>();
  const timers = new Map<string, { observe(value: number): void }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const { method } = request;
    const status = reply.statusCode;
    const timerKey = `${method} ${route}`;
    const counterKey = `${timerKey} ${status}`;
    let counter = counters.get(counterKey);
    if (!counter) {
      counter = metrics.httpRequests.labels({ method, route, status: String(status) });
      counters.set(counterKey, counter);
    }
    let timer = timers.get(timerKey);
    if (!timer) {
      timer = metrics.httpDuration.labels({ method, route });
      timers.set(timerKey, timer);
    }
    counter.inc();
    timer.observe(reply.elapsedTime / 1000);
    if (accessLog.enabled()) {
      accessLog.write({
        reqId: request.id,
        method,
        route,
        url: request.url.split('?')[0] as string,
        statusCode: status,
        responseTimeMs: Math.round(reply.elapsedTime * 10) / 10,
        ip: request.ip,
      });
    }
    done();
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
