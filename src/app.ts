import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Platform } from './compose.js';
import { registerFeatures } from './features.js';
import { registerApiReference } from './http/api-reference.js';
import { registerErrorHandling, sendRouterError } from './http/error-handler.js';
import { registerMetricsRoute, registerRequestObservability } from './http/observability.js';
import { registerRateLimits } from './http/rate-limit.js';
import { registerRequestContext } from './http/request-context.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerValidation } from './http/validation.js';
import { openIdRoutes } from './modules/oidc/routes.js';
import { createAccessLog, lazyRequestLogger } from './platform/logger.js';
import type { Services } from './services.js';
import { registerPages } from './web/index.js';

export interface RouteEntry {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeList: ReadonlyArray<RouteEntry>;
  }
}

// Auth payloads are small; a large body is a mistake or an attack, refused before parsing.
const bodyLimitBytes = 32 * 1024;

/**
 * Builds the HTTP application over the platform and the services; `main.ts`
 * listens, tests call `inject`. Closing the app closes both: one `close()`.
 */
export async function buildApp(platform: Platform, services: Services): Promise<FastifyInstance> {
  const { config, logger } = platform;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    childLoggerFactory: (parent, bindings, options) =>
      lazyRequestLogger(parent as Logger, bindings, options) as FastifyBaseLogger,
    // Fastify accepts a hop count at run time; its types omit the number form.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    frameworkErrors: sendRouterError,
    // One line per request instead, written by registerRequestObservability.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // JSON only: a text body would otherwise reach validation as a string (400) instead of 415.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  // Every route, as registered: the permission-matrix and API-reference tests walk this list.
  const routeList: RouteEntry[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    // Hidden routes (the reference page and its assets, /openapi.json) are not part of the API.
    if ((route.schema as { hide?: boolean } | undefined)?.hide) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') routeList.push({ method, url: route.url });
  });
  registerValidation(app);
  registerErrorHandling(app);
  registerSecurityHeaders(app);
  registerRequestObservability(app, platform.metrics, createAccessLog(logger));
  registerRateLimits(app, platform.rateLimits, platform.secrets);
  registerRequestContext(app);
  if (config.metrics.token && !config.metrics.port) registerMetricsRoute(app, platform.metrics, config.metrics.token);
  app.addHook('onClose', async () => {
    await services.close();
    await platform.close();
  });

  await registerApiReference(app);
  await registerFeatures(app, platform, services);
  const { identifyBrowser } = await registerPages(app, platform, services);
  await app.register(openIdRoutes(services.openid, config.publicUrl, identifyBrowser));

  return app as unknown as FastifyInstance;
}
