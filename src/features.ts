import type { FastifyInstance } from 'fastify';
import type { Platform } from './compose.js';
import { createAuthenticate } from './http/authenticate.js';
import { createAuthorization } from './http/authorize.js';
import { activityRoutes } from './modules/activity/routes.js';
import { createActivityService } from './modules/activity/service.js';
import { createAuditRepository } from './modules/audit/repository.js';
import { auditRoutes } from './modules/audit/routes.js';
import { createAuditService } from './modules/audit/service.js';
import { deviceRoutes } from './modules/devices/routes.js';
import { createDeviceService } from './modules/devices/service.js';
import { healthRoutes } from './modules/health/routes.js';
import { createLockoutService } from './modules/lockout/service.js';
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
import { createAccessCache } from './modules/sessions/access-cache.js';
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

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every feature, wired explicitly: services from the platform's adapters,
 * then each module's routes. Reading this file top to bottom shows what
 * depends on what.
 */
export async function registerFeatures(app: FastifyInstance, platform: Platform): Promise<void> {
  const { config, db, database, clock, accessTokens, outbox, hasher, passwordPolicy, secrets, geoIp, metrics } =
    platform;

  const audit = createAuditRepository(db);
  const roles = createRoleRepository(db);
  const loginHistory = createLoginHistoryRepository(db);
  const devices = createDeviceService({ db, secrets, audit, clock });
  const accessCache = createAccessCache(config.authCacheSize, clock);
  await accessCache.connect(database);
  app.addHook('onClose', () => accessCache.close());
  // A request that may have changed something answers once its changes have reached the cache,
  // so the client's next request cannot be let through by a stale entry.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (safeMethods.has(request.method)) return done(null, payload);
    accessCache.sync().then(() => done(null, payload), done);
  });
  const sessions = createSessionService({ db, accessTokens, accessCache, audit, clock, config });
  const authenticate = createAuthenticate(sessions);
  const authorization = createAuthorization();
  const codes = createOneTimeCodeService({ db, secrets, clock, metrics, config });
  const lockout = createLockoutService({ db, secrets, outbox, metrics, audit, clock, config });
  const signInDeps = { sessions, devices, geoIp, outbox, metrics, roles, loginHistory, audit, clock, config };
  const twoFactor = createTwoFactorService({ ...signInDeps, db, hasher, secrets, codes });
  const registration = createRegistrationService({ ...signInDeps, db, hasher, passwordPolicy, codes, twoFactor });
  const users = createUserService({ db, audit, clock });
  const userAdmin = createUserAdminService({ db, users, hasher, passwordPolicy, outbox, audit, clock, config });

  await app.register(healthRoutes({ ping: database.ping, accessTokens }));
  await app.register(registrationRoutes(registration));
  await app.register(signInRoutes(createSignInService({ ...signInDeps, db, hasher, twoFactor, lockout })));
  await app.register(
    otpRoutes({ otp: createOtpService({ ...signInDeps, db, codes, registration, twoFactor }), authenticate }),
  );
  await app.register(twoFactorRoutes({ twoFactor, authenticate }));
  await app.register(sessionRoutes({ sessions, authenticate, accessTokenTtlSeconds: config.accessTokenTtlSeconds }));
  await app.register(
    passwordRoutes({
      passwords: createPasswordService({
        db,
        hasher,
        passwordPolicy,
        codes,
        sessions,
        lockout,
        outbox,
        audit,
        clock,
        config,
      }),
      authenticate,
    }),
  );
  await app.register(userRoutes({ users, authenticate }));
  await app.register(roleRoutes({ roles: createRoleService({ db, audit, clock }), authenticate, authorization }));
  await app.register(userAdminRoutes({ userAdmin, authenticate, authorization }));
  await app.register(
    accountAdminRoutes({
      accounts: createAccountAdminService({ db, userAdmin, sessions, lockout, audit, clock }),
      authenticate,
      authorization,
    }),
  );
  await app.register(deviceRoutes({ devices, authenticate, authorization }));
  await app.register(activityRoutes({ activity: createActivityService({ db, sessions, clock }), authenticate }));
  await app.register(auditRoutes({ audit: createAuditService(db), authenticate, authorization }));
}
