import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { buildApp } from './app.js';
import { composePlatform, type Platform } from './compose.js';
import { type Config, ConfigError, loadConfigFromProcess } from './config.js';
import { openDatabase } from './db/database.js';
import { registerMetricsRoute } from './http/observability.js';
import { createSuperAdmin } from './modules/user-admin/super-admin.js';
import { resolveAppSecret } from './platform/app-secret.js';
import { createLogger, flushLogger } from './platform/logger.js';
import { composeServices } from './services.js';

// In-flight requests get this long to finish after SIGTERM before the process exits anyway.
const shutdownGraceMs = 10_000;

async function start(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  if (config.migrateOnStart) await database.migrate();
  const appSecret = await resolveAppSecret(config.appSecret, config.dataDir);
  const platform = await composePlatform(config, database, appSecret, logger);
  const services = await composeServices(platform);

  if (config.bootstrapSuperAdmin) {
    const outcome = await createSuperAdmin(
      { ...services.repositories, ...platform, audit: services.audit },
      config.bootstrapSuperAdmin,
      { onlyIfNone: true },
    );
    logger.info({ outcome }, 'super admin bootstrap');
  }

  const app = await buildApp(platform, services);
  // While draining, every response closes its connection: a busy keep-alive connection would
  // otherwise outlive server.close() and hold the shutdown until the grace timer kills it.
  let draining = false;
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  await app.listen({ port: config.port, host: config.host });
  const metricsServer = config.metrics.port ? await serveMetrics(platform, config.metrics.port) : null;
  platform.outbox.start();
  // Discovery runs now, off the start-up path: a provider that cannot be reached is named in the log
  // at once, and its button answers with the same message until it can (then it is retried).
  services.federation.warmUp().then((failures) => {
    for (const failure of failures) logger.warn({ provider: failure.provider }, failure.message);
  });
  logger.info(
    { database: database.kind, mail: config.mailTransport, url: `http://${config.host}:${config.port}` },
    'Gatehouse is ready',
  );

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    draining = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), shutdownGraceMs).unref();
    // Stops accepting, lets in-flight requests finish, then closes the services and the platform.
    await metricsServer?.close();
    await app.close();
    await database.close();
    await flushLogger(logger);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

/** /metrics on its own port (METRICS_PORT), for a scraper on a private network. */
async function serveMetrics(platform: Platform, port: number) {
  const server = Fastify({
    loggerInstance: platform.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  registerMetricsRoute(server, platform.metrics, platform.config.metrics.token);
  await server.listen({ port, host: platform.config.host });
  return server;
}

try {
  await start(loadConfigFromProcess());
} catch (error) {
  // A configuration mistake is one readable line, not a stack trace.
  if (error instanceof ConfigError || (error as Error)?.name === 'SuperAdminError') {
    console.error(`gatehouse: ${(error as Error).message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
}
