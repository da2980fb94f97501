import type { Transaction } from './core/transaction.js';
import type { Database } from './db/database.js';
import { createActivityRepository } from './modules/activity/repository.js';
import { createAuditRepository } from './modules/audit/repository.js';
import { createDeviceRepository } from './modules/devices/repository.js';
import { createFederationRepository } from './modules/federation/repository.js';
import { createLockoutRepository } from './modules/lockout/repository.js';
import { createLoginHistoryRepository } from './modules/login-history/repository.js';
import { createOidcRepository } from './modules/oidc/repository.js';
import { createOneTimeCodeRepository } from './modules/one-time-codes/repository.js';
import { createPasskeyRepository } from './modules/passkeys/repository.js';
import { createPasswordResetRepository } from './modules/password/repository.js';
import { createRoleRepository } from './modules/roles/repository.js';
import { createSessionRepository } from './modules/sessions/repository.js';
import { createStatisticsRepository } from './modules/statistics/repository.js';
import { createTwoFactorRepository } from './modules/two-factor/repository.js';
import { createUserRepository } from './modules/users/repository.js';

/** Every repository, for one database handle: the pool, or one transaction. */
export function createRepositories(db: Database) {
  return {
    users: createUserRepository(db),
    roles: createRoleRepository(db),
    sessions: createSessionRepository(db),
    devices: createDeviceRepository(db),
    loginHistory: createLoginHistoryRepository(db),
    activity: createActivityRepository(db),
    lockout: createLockoutRepository(db),
    codes: createOneTimeCodeRepository(db),
    resets: createPasswordResetRepository(db),
    twoFactor: createTwoFactorRepository(db),
    passkeys: createPasskeyRepository(db),
    federation: createFederationRepository(db),
    oidc: createOidcRepository(db),
    statistics: createStatisticsRepository(db),
    audit: createAuditRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;

/** The repositories again, bound to a transaction that commits when `work` resolves and rolls back when it throws. */
export function createTransaction(db: Database): Transaction<Repositories> {
  return (work) => db.transaction((tx) => work(createRepositories(tx)));
}
