import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Platform } from './compose.js';
import { createAuthenticate } from './http/authenticate.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerValidation } from './http/validation.js';
import { createAuditRepository } from './modules/audit/repository.js';
import { healthRoutes } from './modules/health/routes.js';
import { createLoginHistoryRepository } from './modules/login-history/repository.js';
import { createOneTimeCodeService } from './modules/one-time-codes/service.js';
import { registrationRoutes } from './modules/registration/routes.js';
import { createRegistrationService } from './modules/registration/service.js';
import { createRoleRepository } from './modules/roles/repository.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { createSessionService } from './modules/sessions/service.js';
import { signInRoutes } from './modules/sign-in/routes.js';
import { createSignInService } from './modules/sign-in/service.js';
import { userRoutes } from './modules/users/routes.js';
import { createUserService } from './modules/users/service.js';

// Auth payloads are small; a large body is a mistake or an attack, refused before parsing.
const bodyLimitBytes = 32 * 1024;

/** Builds the HTTP application; `main.ts` listens, tests call `inject`. */
export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const { config, database, clock, accessTokens, outbox, hasher, passwordPolicy, secrets, logger } = platform;
  const db = database.db;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    trustProxy: config.trustProxy,
    bodyLimit: bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.decorateRequest('principal', null);
  registerValidation(app);
  registerErrorHandling(app);
  registerSecurityHeaders(app);

  const audit = createAuditRepository(db);
  const roles = createRoleRepository(db);
  const loginHistory = createLoginHistoryRepository(db);
  const sessions = createSessionService({ db, accessTokens, audit, clock, config });
  const authenticate = createAuthenticate(sessions);
  const codes = createOneTimeCodeService({ db, secrets, clock, config });
  const signInDeps = { sessions, roles, loginHistory, audit, clock, config };

  await app.register(healthRoutes({ ping: database.ping, accessTokens }));
  await app.register(
    registrationRoutes(createRegistrationService({ ...signInDeps, db, hasher, passwordPolicy, codes, outbox })),
  );
  await app.register(signInRoutes(createSignInService({ ...signInDeps, db, hasher })));
  await app.register(sessionRoutes({ sessions, authenticate, accessTokenTtlSeconds: config.accessTokenTtlSeconds }));
  await app.register(userRoutes({ users: createUserService({ db, audit, clock }), authenticate }));

  return app as unknown as FastifyInstance;
}
