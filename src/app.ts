import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Platform } from './compose.js';
import { createAuthenticate } from './http/authenticate.js';
import { createAuthorization } from './http/authorize.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { registerValidation } from './http/validation.js';
import { createAuditRepository } from './modules/audit/repository.js';
import { healthRoutes } from './modules/health/routes.js';
import { createLoginHistoryRepository } from './modules/login-history/repository.js';
import { createOneTimeCodeService } from './modules/one-time-codes/service.js';
import { otpRoutes } from './modules/otp/routes.js';
import { createOtpService } from './modules/otp/service.js';
import { passwordRoutes } from './modules/password/routes.js';
import { createPasswordService } from './modules/password/service.js';
import { registrationRoutes } from './modules/registration/routes.js';
import { createRegistrationService } from './modules/registration/service.js';
import { createRoleRepository } from './modules/roles/repository.js';
import { roleRoutes } from './modules/roles/routes.js';
import { createRoleService } from './modules/roles/service.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { createSessionService } from './modules/sessions/service.js';
import { signInRoutes } from './modules/sign-in/routes.js';
import { createSignInService } from './modules/sign-in/service.js';
import { twoFactorRoutes } from './modules/two-factor/routes.js';
import { createTwoFactorService } from './modules/two-factor/service.js';
import { accountAdminRoutes } from './modules/user-admin/account-routes.js';
import { createAccountAdminService } from './modules/user-admin/account-service.js';
import { userAdminRoutes } from './modules/user-admin/routes.js';
import { createUserAdminService } from './modules/user-admin/service.js';
import { userRoutes } from './modules/users/routes.js';
import { createUserService } from './modules/users/service.js';

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

/** Builds the HTTP application; `main.ts` listens, tests call `inject`. */
export async function buildApp(platform: Platform): Promise<FastifyInstance> {
  const { config, database, clock, accessTokens, outbox, hasher, passwordPolicy, secrets, logger } = platform;
  const db = database.db;

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify accepts a hop count at run time; its types omit the number form.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: bodyLimitBytes,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: false },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // JSON only: a text body would otherwise reach validation as a string (400) instead of 415.
  app.removeContentTypeParser('text/plain');
  app.decorateRequest('principal', null);
  app.decorateRequest('actor', null);
  // Every route, as registered: the permission-matrix and API-reference tests walk this list.
  const routeList: RouteEntry[] = [];
  app.decorate('routeList', routeList);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) if (method !== 'HEAD') routeList.push({ method, url: route.url });
  });
  registerValidation(app);
  registerErrorHandling(app);
  registerSecurityHeaders(app);

  const audit = createAuditRepository(db);
  const roles = createRoleRepository(db);
  const loginHistory = createLoginHistoryRepository(db);
  const sessions = createSessionService({ db, accessTokens, audit, clock, config });
  const authenticate = createAuthenticate(sessions);
  const authorization = createAuthorization(roles);
  const codes = createOneTimeCodeService({ db, secrets, clock, config });
  const signInDeps = { sessions, roles, loginHistory, audit, clock, config };
  const twoFactor = createTwoFactorService({ ...signInDeps, db, hasher, secrets, codes, outbox });

  await app.register(healthRoutes({ ping: database.ping, accessTokens }));
  const registration = createRegistrationService({
    ...signInDeps,
    db,
    hasher,
    passwordPolicy,
    codes,
    outbox,
    twoFactor,
  });
  await app.register(registrationRoutes(registration));
  const otp = createOtpService({ ...signInDeps, db, codes, outbox, registration, twoFactor });
  await app.register(otpRoutes({ otp, authenticate }));
  await app.register(signInRoutes(createSignInService({ ...signInDeps, db, hasher, twoFactor })));
  await app.register(twoFactorRoutes({ twoFactor, authenticate }));
  await app.register(sessionRoutes({ sessions, authenticate, accessTokenTtlSeconds: config.accessTokenTtlSeconds }));
  const passwords = createPasswordService({
    db,
    hasher,
    passwordPolicy,
    codes,
    sessions,
    outbox,
    audit,
    clock,
    config,
  });
  await app.register(passwordRoutes({ passwords, authenticate }));
  const users = createUserService({ db, audit, clock });
  await app.register(userRoutes({ users, authenticate }));
  await app.register(roleRoutes({ roles: createRoleService({ db, audit, clock }), authenticate, authorization }));
  const userAdmin = createUserAdminService({ db, users, hasher, passwordPolicy, outbox, audit, clock, config });
  await app.register(userAdminRoutes({ userAdmin, authenticate, authorization }));
  const accounts = createAccountAdminService({ db, userAdmin, sessions, audit, clock });
  await app.register(accountAdminRoutes({ accounts, authenticate, authorization }));

  return app as unknown as FastifyInstance;
}
