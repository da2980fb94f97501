import type { FastifyInstance } from 'fastify';
import type { Platform } from './compose.js';
import { createAuthenticate } from './http/authenticate.js';
import { createAuthorization } from './http/authorize.js';
import { activityRoutes } from './modules/activity/routes.js';
import { auditRoutes } from './modules/audit/routes.js';
import { deviceRoutes } from './modules/devices/routes.js';
import { federationRoutes } from './modules/federation/routes.js';
import { healthRoutes } from './modules/health/routes.js';
import { oidcClientRoutes } from './modules/oidc/admin-routes.js';
import { otpRoutes } from './modules/otp/routes.js';
import { passkeyRoutes } from './modules/passkeys/routes.js';
import { passwordRoutes } from './modules/password/routes.js';
import { registrationRoutes } from './modules/registration/routes.js';
import { roleRoutes } from './modules/roles/routes.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { signInRoutes } from './modules/sign-in/routes.js';
import { twoFactorRoutes } from './modules/two-factor/routes.js';
import { accountAdminRoutes } from './modules/user-admin/account-routes.js';
import { userAdminRoutes } from './modules/user-admin/routes.js';
import { userRoutes } from './modules/users/routes.js';
import type { Services } from './services.js';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The JSON API: each module's routes over the services of the composition root (services.ts). */
export async function registerFeatures(app: FastifyInstance, platform: Platform, services: Services): Promise<void> {
  const { config, database, accessTokens, rateLimits } = platform;
  const { accessCache, sessions } = services;

  // A request that may have changed something answers once its changes have reached the cache,
  // so the client's next request cannot be let through by a stale entry.
  app.addHook('onSend', (request, _reply, payload, done) => {
    if (safeMethods.has(request.method)) return done(null, payload);
    accessCache.sync().then(() => done(null, payload), done);
  });
  const authenticate = createAuthenticate(sessions.authenticate);
  const authorization = createAuthorization();

  await app.register(healthRoutes({ checks: { database: database.ping, ...rateLimits.checks }, accessTokens }));
  await app.register(registrationRoutes(services.registration));
  await app.register(signInRoutes(services.signIn));
  await app.register(otpRoutes({ otp: services.otp, authenticate }));
  await app.register(twoFactorRoutes({ twoFactor: services.twoFactor, authenticate }));
  await app.register(passkeyRoutes({ passkeys: services.passkeys, secondStep: services.twoFactor, authenticate }));
  await app.register(
    federationRoutes({
      federation: services.federation,
      identityProviders: services.identityProviders,
      authenticate,
      authorization,
    }),
  );
  await app.register(sessionRoutes({ sessions, authenticate, accessTokenTtlSeconds: config.accessTokenTtlSeconds }));
  await app.register(passwordRoutes({ passwords: services.passwords, authenticate }));
  await app.register(userRoutes({ users: services.profiles, authenticate }));
  await app.register(roleRoutes({ roles: services.roles, authenticate, authorization }));
  await app.register(userAdminRoutes({ userAdmin: services.userAdmin, authenticate, authorization }));
  await app.register(accountAdminRoutes({ accounts: services.accountAdmin, authenticate, authorization }));
  await app.register(deviceRoutes({ devices: services.devices, authenticate, authorization }));
  await app.register(activityRoutes({ activity: services.activity, authenticate }));
  await app.register(oidcClientRoutes({ clients: services.oidcClients, authenticate, authorization }));
  await app.register(auditRoutes({ audit: services.auditLog, authenticate, authorization }));
}
