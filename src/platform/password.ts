import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dictionary } from '@zxcvbn-ts/language-common';
import { createHashWorkers } from './hash-workers.js';

export interface Argon2Parameters {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane. */
export const productionArgon2: Argon2Parameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * False for a wrong password, a hash that cannot be parsed, and an account without a password
   * (made by a federated sign-in), which costs the same time as a real check.
   */
  verify(passwordHash: string | null, password: string): Promise<boolean>;
  /** True when a hash was made with other parameters and should be replaced on the next login. */
  needsRehash(passwordHash: string): boolean;
  /** Burns the same time as a real verify, for accounts that do not exist. */
  decoyVerify(password: string): Promise<void>;
  close(): Promise<void>;
}

export async function createPasswordHasher(parameters: Argon2Parameters = productionArgon2): Promise<PasswordHasher> {
  // 2 is Algorithm.Argon2id; the package ships it as a const enum TypeScript cannot import here.
  const options = { algorithm: 2 as const, ...parameters };
  const prefix = `$argon2id$v=19$m=${parameters.memoryCost},t=${parameters.timeCost},p=${parameters.parallelism}$`;
  // At most one hash per core at a time: more would not finish sooner. Off the libuv pool and
  // the event loop's priority, so token checks and other requests never wait behind them.
  const workers = createHashWorkers(availableParallelism());
  // A real hash of a random string, so a decoy verify costs exactly what a real one does.
  let decoyHash: Promise<string> | undefined;
  async function decoyVerify(password: string): Promise<void> {
    decoyHash ??= workers.hash(randomUUID(), options).catch((error: unknown) => {
      decoyHash = undefined;
      throw error;
    });
    await workers.verify(await decoyHash, password).catch(() => false);
  }
  return {
    hash: (password) => workers.hash(password, options),
    async verify(passwordHash, password) {
      if (passwordHash === null) return decoyVerify(password).then(() => false);
      try {
        return await workers.verify(passwordHash, password);
      } catch {
        return false;
      }
    },
    needsRehash: (passwordHash) => !passwordHash.startsWith(prefix),
    decoyVerify,
    close: () => workers.close(),
  };
}

export const passwordMinLength = 8;
export const passwordMaxLength = 128;

export type PasswordProblem = 'PASSWORD_TOO_COMMON';

/**
 * NIST 800-63B: length limits (enforced by the request schemas) and a
 * blocklist of common passwords; no composition rules.
 */
export interface PasswordPolicy {
  check(password: string): PasswordProblem | null;
}

export function createPasswordPolicy(): PasswordPolicy {
  const common = new Set(
    (dictionary['passwords-common'] as string[])
      .filter((word) => word.length >= passwordMinLength)
      .map((word) => word.toLowerCase()),
  );
  return {
    check: (password) => (common.has(password.toLowerCase()) ? 'PASSWORD_TOO_COMMON' : null),
  };
}
