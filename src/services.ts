import type { Platform } from './compose.js';
import { createEmails } from './messages/emails.js';
import { createActivityService } from './modules/activity/service.js';
import { createAuditRecorder } from './modules/audit/recorder.js';
import { createAuditService } from './modules/audit/service.js';
import { createDeviceService } from './modules/devices/service.js';
import { createProviderAdminService } from './modules/federation/admin.js';
import { createProviderRegistry } from './modules/federation/providers.js';
import { createFederationService } from './modules/federation/service.js';
import { createUpstream } from './modules/federation/upstream.js';
import { createLockoutService } from './modules/lockout/service.js';
import { createClientCache } from './modules/oidc/client-cache.js';
import { createOidcClientService } from './modules/oidc/clients.js';
import { createOpenIdService } from './modules/oidc/service.js';
import { createOneTimeCodeService } from './modules/one-time-codes/service.js';
import { createOtpService } from './modules/otp/service.js';
import { createPasskeyService } from './modules/passkeys/service.js';
import { createPasswordService } from './modules/password/service.js';
import { createRegistrationService } from './modules/registration/service.js';
import { createRoleService } from './modules/roles/service.js';
import { createAccessCache } from './modules/sessions/access-cache.js';
import { createOwnerConfirmation } from './modules/sessions/confirm-owner.js';
import { createSessionService } from './modules/sessions/service.js';
import { createSignInService } from './modules/sign-in/service.js';
import { createSignInCompletion } from './modules/sign-in-completion/service.js';
import { createStatisticsService } from './modules/statistics/service.js';
import { createTwoFactorService } from './modules/two-factor/service.js';
import { createAccountAdminService } from './modules/user-admin/account-service.js';
import { createUserAdminService } from './modules/user-admin/service.js';
import { createUserService } from './modules/users/service.js';
import { createRepositories, createTransaction } from './repositories.js';

/**
 * The composition root: every repository built once, then every service
 * from the repositories, the platform's adapters and the services before it.
 * Reading it top to bottom shows what depends on what; no service builds
 * another's parts. The HTTP routes and (later) the pages take these services.
 */
export async function composeServices(platform: Platform) {
  const { config, db, database, clock } = platform;

  const repositories = createRepositories(db);
  const audit = createAuditRecorder({ audit: repositories.audit, clock });
  const accessCache = createAccessCache(config.authCacheSize, clock);
  await accessCache.connect(database);
  const oidcClientCache = createClientCache(clock);
  await oidcClientCache.connect(database);
  // What any service may take by name: the platform's adapters, every repository, a transaction
  // handing out the same repositories, and the audit recorder. Each service below names only
  // what it adds: the services it builds on (which replace a repository of the same name).
  const emails = createEmails({ brand: config.brand, publicUrl: config.publicUrl });
  const base = {
    ...platform,
    ...repositories,
    transaction: createTransaction(db),
    audit,
    accessCache,
    oidcClientCache,
    emails,
  };

  const sessions = createSessionService(base);
  const devices = createDeviceService(base);
  const codes = createOneTimeCodeService(base);
  const lockout = createLockoutService(base);
  const completion = createSignInCompletion({ ...base, sessions, devices });
  const confirmOwner = createOwnerConfirmation(base);
  const passkeys = createPasskeyService({ ...base, confirmOwner, devices, completion });
  const twoFactor = createTwoFactorService({ ...base, completion, codes, passkeys });
  const registration = createRegistrationService({ ...base, devices, codes, twoFactor, completion });
  const signIn = createSignInService({ ...base, devices, lockout, twoFactor, completion });
  const providers = createProviderRegistry(base);
  const upstream = createUpstream({ publicUrl: config.publicUrl, clock });
  const federation = createFederationService({
    ...base,
    confirmOwner,
    providers,
    upstream,
    sessions,
    devices,
    twoFactor,
    completion,
  });
  const identityProviders = createProviderAdminService({ ...base, providers, upstream });
  const otp = createOtpService({ ...base, devices, codes, registration, twoFactor, completion });
  const passwords = createPasswordService({ ...base, codes, sessions, lockout });
  const profiles = createUserService(base);
  const roles = createRoleService({ ...base, accounts: repositories.users });
  const userAdmin = createUserAdminService({ ...base, profiles });
  const accountAdmin = createAccountAdminService({ ...base, userAdmin, sessions, lockout });
  const activity = createActivityService({ ...base, sessions });
  const auditLog = createAuditService({ audit: repositories.audit });
  const statistics = createStatisticsService(base);
  const openid = createOpenIdService({ ...base, sessions });
  const oidcClients = createOidcClientService(base);

  return {
    repositories,
    audit,
    accessCache,
    sessions,
    devices,
    registration,
    signIn,
    otp,
    twoFactor,
    passkeys,
    federation,
    identityProviders,
    passwords,
    profiles,
    roles,
    userAdmin,
    accountAdmin,
    activity,
    auditLog,
    statistics,
    openid,
    oidcClients,
    /** Stops listening for access and client changes; the platform closes the rest. */
    close: () => Promise.all([accessCache.close(), oidcClientCache.close()]).then(() => undefined),
  };
}

export type Services = Awaited<ReturnType<typeof composeServices>>;
